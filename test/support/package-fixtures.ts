/**
 * A workspace of small applications for the packaging tests: Lambda code in folders, a layer,
 * nested templates two levels deep, a state machine, a SAM function, an API, an application,
 * a Glue script and an AWS::Include snippet, each template naming its artifacts by local path.
 */
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'

export const FIXTURE_FILES: Readonly<Record<string, string>> = {
  'functions/hello/app.py': 'def handler(event, context):\n    return {"statusCode": 200, "body": "hello"}\n',
  'functions/hello/lib/util.py': 'GREETING = "hello"\n',
  'functions/hello/bootstrap': '#!/bin/sh\nexec python3 app.py\n',
  'functions/single.py': 'def handler(event, context):\n    return "single"\n',
  'functions/worker/app.py': 'def handler(event, context):\n    return "worker"\n',
  'layers/shared/python/shared.py': 'VALUE = 42\n',
  'statemachine/definition.json': '{"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}\n',
  'api/openapi.yaml': 'openapi: 3.0.1\ninfo:\n  title: hello\n  version: "1"\npaths: {}\n',
  'scripts/job.py': 'print("glue")\n',
  'snippets/include.yaml': 'Type: AWS::SQS::Queue\n',
  'lambda.yaml': `AWSTemplateFormatVersion: '2010-09-09'
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {Version: '2012-10-17', Statement: []}
  Hello:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Role: !GetAtt Role.Arn
      Code: functions/hello
  Single:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: single.handler
      Role: !GetAtt Role.Arn
      Code: functions/single.py
  Inline:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      Role: !GetAtt Role.Arn
      Code:
        ZipFile: 'def handler(e, c): return 1'
`,
  'layers.yaml': `Transform: AWS::Serverless-2016-10-31
Resources:
  Layer:
    Type: AWS::Lambda::LayerVersion
    Properties:
      Content: layers/shared
  SamLayer:
    Type: AWS::Serverless::LayerVersion
    Properties:
      ContentUri: layers/shared
`,
  'nested.yaml': `Resources:
  Level1:
    Type: AWS::CloudFormation::Stack
    Properties:
      TemplateURL: nested/level1.yaml
      Parameters:
        Name: !Ref AWS::StackName
`,
  'nested/level1.yaml': `Parameters:
  Name:
    Type: String
Resources:
  Worker:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Role: arn:aws:iam::123456789012:role/worker
      Code: ../functions/worker
  Level2:
    Type: AWS::CloudFormation::Stack
    Properties:
      TemplateURL: deeper/level2.yaml
`,
  'nested/deeper/level2.yaml': `Resources:
  Deepest:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Role: arn:aws:iam::123456789012:role/worker
      Code: ../../functions/hello
  Queue:
    Type: AWS::SQS::Queue
`,
  'statemachine.yaml': `Transform: AWS::Serverless-2016-10-31
Resources:
  Machine:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      RoleArn: arn:aws:iam::123456789012:role/sfn
      DefinitionS3Location: statemachine/definition.json
  SamMachine:
    Type: AWS::Serverless::StateMachine
    Properties:
      DefinitionUri: statemachine/definition.json
`,
  'sam-function.yaml': `Transform: AWS::Serverless-2016-10-31
Resources:
  Hello:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: functions/hello
  Single:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: single.handler
      CodeUri: functions/single.py
`,
  'api.yaml': `Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: v1
      DefinitionUri: api/openapi.yaml
  HttpApi:
    Type: AWS::Serverless::HttpApi
    Properties:
      DefinitionUri: api/openapi.yaml
  RestApi:
    Type: AWS::ApiGateway::RestApi
    Properties:
      BodyS3Location: api/openapi.yaml
`,
  'application.yaml': `Transform: AWS::Serverless-2016-10-31
Resources:
  App:
    Type: AWS::Serverless::Application
    Properties:
      Location: app/application.yaml
`,
  'app/application.yaml': `Transform: AWS::Serverless-2016-10-31
Resources:
  AppFunction:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: ../functions/hello
`,
  'glue-include.yaml': `Resources:
  Job:
    Type: AWS::Glue::Job
    Properties:
      Role: arn:aws:iam::123456789012:role/glue
      Command:
        Name: glueetl
        ScriptLocation: scripts/job.py
  Included:
    Fn::Transform:
      Name: AWS::Include
      Parameters:
        Location: snippets/include.yaml
`,
}

/** The templates of the fixture, for the oracle comparison. */
export const FIXTURE_TEMPLATES = [
  'lambda.yaml',
  'layers.yaml',
  'nested.yaml',
  'statemachine.yaml',
  'sam-function.yaml',
  'api.yaml',
  'application.yaml',
  'glue-include.yaml',
]

export function writeFiles(root: string, files: Readonly<Record<string, string>>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true })
    writeFileSync(join(root, path), content)
  }
}

/** A new workspace holding the fixture; `bootstrap` is executable. */
export function packageWorkspace(prefix = 'package-ws-'): string {
  const root = mkdtempSync(join(tmpdir(), prefix))
  writeFiles(root, FIXTURE_FILES)
  chmodSync(join(root, 'functions/hello/bootstrap'), 0o755)
  return root
}
