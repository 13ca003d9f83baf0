import os


def handler(event, context):
    # A real service would check its own dependencies here (tables,
    # queues, downstream APIs) before answering.
    status = os.environ.get("STATUS", "ok")
    healthy = status == "ok"
    return {
        "statusCode": 200 if healthy else 503,
        "headers": {"content-type": "text/plain", "cache-control": "no-store"},
        "body": status + " " + os.environ["AWS_REGION"],
    }
