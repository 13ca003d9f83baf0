import json
import os


def handler(event, context):
    body = {"message": "hello", "region": os.environ["AWS_REGION"]}
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json"},
        "body": json.dumps(body),
    }
