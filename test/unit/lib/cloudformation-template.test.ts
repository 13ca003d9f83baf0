import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { parseTemplate, MAX_ALIASES } from '../../../lib/cloudformation-inputs.js'
import { InputError } from '../../../lib/inputs.js'

const ROOT = resolve(import.meta.dirname, '../../..')

describe('parseTemplate', () => {
  it.each(['sample-queue.yaml', 'multi-region-api.yaml', 'route53-failover.yaml', 'github-oidc-role.yaml'])(
    'reads the repository template %s and its declared parameters',
    (name) => {
      const text = readFileSync(resolve(ROOT, 'templates', name), 'utf8')
      expect(() => parseTemplate('template', name, text)).not.toThrow()
    },
  )

  it('lists the declared parameters of a YAML template with short-form tags', () => {
    const doc = parseTemplate(
      'template',
      't.yaml',
      [
        'Parameters:',
        '  Secret: {Type: String, NoEcho: true}',
        '  Size: {Type: Number, Default: 1}',
        'Conditions:',
        '  Big: !Not [!Equals [!Ref Size, 1]]',
        'Resources:',
        '  Q:',
        '    Type: AWS::SQS::Queue',
        '    Properties:',
        '      QueueName: !Sub "${AWS::StackName}-q"',
        '      Tags: [{Key: a, Value: !GetAtt Other.Arn}, {Key: b, Value: !Select [0, !GetAZs ""]}]',
        '      Policy: !If',
        '        - Big',
        '        - !Join [",", [a, b]]',
        '        - !Ref AWS::NoValue',
        '      X: !Base64 {"Fn::Sub": "x"}',
      ].join('\n'),
    )
    expect(doc.parameters).toEqual(['Secret', 'Size'])
  })

  it('reads a JSON template', () => {
    const doc = parseTemplate(
      'template',
      't.json',
      JSON.stringify({ Parameters: { A: {} }, Resources: { B: {} } }),
    )
    expect(doc.parameters).toEqual(['A'])
    expect(doc.resources).toEqual(['B'])
  })

  it.each([
    ['invalid YAML', 'Resources:\n  Q: [unclosed\n', /does not parse/],
    ['a list', '- a\n- b\n', /does not hold a mapping/],
    ['a scalar', 'just text\n', /does not hold a mapping/],
    ['no Resources', 'Parameters: {}\n', /no Resources mapping/],
    ['Resources as a list', 'Resources: [a]\n', /no Resources mapping/],
    ['a duplicated key', 'Resources: {}\nResources: {}\n', /does not parse/],
    ['an unknown tag', 'Resources:\n  Q: !Bogus x\n', /does not parse/],
  ])('refuses %s with an input error naming the input', (_what, text, reason) => {
    let error: unknown
    try {
      parseTemplate('template', 'bad.yaml', text)
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(InputError)
    expect((error as Error).message).toMatch(/^Input 'template': "bad.yaml"/)
    expect((error as Error).message).toMatch(reason)
  })

  it('refuses alias expansion beyond the bound', () => {
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]']
    for (let i = 0; i < 8; i++)
      lines.push(
        `${'b'.repeat(i + 1)}: &${'b'.repeat(i + 1)} [${Array(10)
          .fill(i === 0 ? '*a' : `*${'b'.repeat(i)}`)
          .join(', ')}]`,
      )
    lines.push('Resources: {}')
    expect(() => parseTemplate('template', 'laughs.yaml', lines.join('\n'))).toThrow(/does not parse/)
    expect(MAX_ALIASES).toBeLessThanOrEqual(100)
  })
})
