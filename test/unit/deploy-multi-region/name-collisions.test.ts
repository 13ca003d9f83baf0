import {
  describeCollision,
  nameCollisions,
  type NameContext,
} from '../../../actions/deploy-multi-region/src/name-collisions.js'

const three = [{ region: 'us-east-1' }, { region: 'eu-west-1' }, { region: 'ap-southeast-2' }]
const context: NameContext = { stackName: 'app', parameters: {}, regionParameters: {} }

/** A template with one resource of `type` whose `property` is `value` (YAML text). */
function template(type: string, property: string, value: string, extra = ''): string {
  return `${extra}Resources:\n  Thing:\n    Type: ${type}\n    Properties:\n      ${property}: ${value}\n`
}

const found = (text: string, targets = three, ctx = context) =>
  nameCollisions(text, targets, ctx).map((c) => c.logicalId)

describe('nameCollisions', () => {
  it.each([
    ['AWS::IAM::Role', 'RoleName'],
    ['AWS::IAM::ManagedPolicy', 'ManagedPolicyName'],
    ['AWS::IAM::User', 'UserName'],
    ['AWS::IAM::Group', 'GroupName'],
    ['AWS::IAM::InstanceProfile', 'InstanceProfileName'],
    ['AWS::S3::Bucket', 'BucketName'],
    ['AWS::CloudFront::Function', 'Name'],
  ])('finds a fixed %s %s', (type, property) => {
    expect(found(template(type, property, 'fixed-name'))).toEqual(['Thing'])
  })

  it('finds a fixed name nested in a config property (CloudFront policies)', () => {
    const text =
      'Resources:\n  Policy:\n    Type: AWS::CloudFront::CachePolicy\n    Properties:\n      CachePolicyConfig:\n        Name: cache\n'
    expect(found(text)).toEqual(['Policy'])
  })

  it.each([
    ["!Sub 'role-${AWS::Region}'"],
    ["!Join ['-', [role, !Ref 'AWS::Region']]"],
    ["!Sub ['role-${R}', {R: !Ref 'AWS::Region'}]"],
    ['!FindInMap [Names, !Ref AWS::Region, Role]'],
    ['!GetAtt Other.Name'],
  ])('leaves a name that differs per region (or is unknown before the deploy) alone: %s', (value) => {
    const maps =
      'Mappings:\n  Names:\n    us-east-1: {Role: a}\n    eu-west-1: {Role: b}\n    ap-southeast-2: {Role: c}\n'
    expect(found(template('AWS::IAM::Role', 'RoleName', value, maps))).toEqual([])
  })

  it('finds a name built only from the stack name, which is the same in every region', () => {
    expect(found(template('AWS::IAM::Role', 'RoleName', "!Sub '${AWS::StackName}-role'"))).toEqual(['Thing'])
  })

  it('follows parameters: a default or input value is the same everywhere unless a region overrides it', () => {
    const params = 'Parameters:\n  RoleName:\n    Type: String\n    Default: shared\n'
    const text = template('AWS::IAM::Role', 'RoleName', '!Ref RoleName', params)
    const [c] = nameCollisions(text, three, context)
    expect(c).toMatchObject({ parameter: 'RoleName' })
    expect(c!.name).toBeUndefined()
    const perRegion = {
      ...context,
      regionParameters: {
        'us-east-1': { RoleName: 'a' },
        'eu-west-1': { RoleName: 'b' },
        'ap-southeast-2': { RoleName: 'c' },
      },
    }
    expect(found(text, three, perRegion)).toEqual([])
  })

  it('a single region, different accounts for IAM, or a conditional resource is fine', () => {
    const role = template('AWS::IAM::Role', 'RoleName', 'fixed')
    expect(found(role, [{ region: 'us-east-1' }])).toEqual([])
    const accounts = [
      { account: '111111111111', region: 'us-east-1' },
      { account: '222222222222', region: 'us-east-1' },
    ]
    expect(found(role, accounts)).toEqual([])
    // S3 bucket names are global across all accounts.
    expect(found(template('AWS::S3::Bucket', 'BucketName', 'fixed'), accounts)).toEqual(['Thing'])
    const conditional =
      'Conditions:\n  Home: !Equals [!Ref AWS::Region, us-east-1]\nResources:\n  Thing:\n    Type: AWS::IAM::Role\n    Condition: Home\n    Properties:\n      RoleName: fixed\n'
    expect(found(conditional)).toEqual([])
  })

  it('IAM names are not distinguished by case', () => {
    const text = template(
      'AWS::IAM::Role',
      'RoleName',
      "!Sub 'Role-${Name}'",
      'Parameters:\n  Name: {Type: String}\n',
    )
    const ctx = { ...context, regionParameters: { 'us-east-1': { Name: 'A' }, 'eu-west-1': { Name: 'a' } } }
    expect(found(text, three.slice(0, 2), ctx)).toEqual(['Thing'])
  })

  it('the message names the resource, the regions and the fix', () => {
    const [c] = nameCollisions(template('AWS::IAM::Role', 'RoleName', 'lambda-role'), three, context)
    const text = describeCollision(c!)
    expect(text).toContain(
      "Thing (AWS::IAM::Role) has the same RoleName 'lambda-role' in us-east-1, eu-west-1, ap-southeast-2",
    )
    expect(text).toContain("RoleName: !Sub 'lambda-role-${AWS::Region}'")
  })
})

describe('global by nature: CloudFront aliases and public hosted zones', () => {
  it('finds a CloudFront alias shared by the regions, and says to make it in one region', () => {
    const text =
      'Resources:\n  Cdn:\n    Type: AWS::CloudFront::Distribution\n    Properties:\n      DistributionConfig:\n        Aliases: [www.example.com, !Sub "${AWS::Region}.example.com"]\n'
    const [c] = nameCollisions(text, three, context)
    expect(c).toMatchObject({ logicalId: 'Cdn', property: 'DistributionConfig.Aliases' })
    expect(describeCollision(c!)).toContain('make it in one region only')
  })

  it('finds a public hosted zone made in every region; a private one (VPCs) is regional', () => {
    const zone = (extra: string) =>
      `Resources:\n  Zone:\n    Type: AWS::Route53::HostedZone\n    Properties:\n      Name: example.com${extra}\n`
    const [c] = nameCollisions(zone(''), three, context)
    expect(describeCollision(c!)).toContain('another public hosted zone of that name')
    const vpcs = '\n      VPCs:\n        - VPCId: !Ref Vpc\n          VPCRegion: !Ref AWS::Region'
    expect(found(zone(vpcs))).toEqual([])
  })
})
