"""Google's Python client (google-api-python-client) against Gaffer, both APIs.

Builds the genomics v2alpha1 and lifesciences v2beta clients from the discovery
documents bundled with the client, with only their root URL pointed at Gaffer (the batch
URI follows the root URL), and prints what each call answered as one JSON object.
Usage: python google_client_session.py ROOT_URL PROJECT GENOMICS_DOC LIFESCIENCES_DOC
"""
import json
import sys

import google.auth.credentials
from googleapiclient import discovery
from googleapiclient.errors import HttpError

root, project, genomics_doc, lifesciences_doc = sys.argv[1:5]


def client(path):
    with open(path) as f:
        doc = json.load(f)
    doc["rootUrl"] = doc["mtlsRootUrl"] = root
    return discovery.build_from_document(doc, credentials=google.auth.credentials.AnonymousCredentials())


def action(name, command):
    # As dsub builds them: every unset field sent as JSON null.
    return {"imageUri": "ubuntu", "commands": ["bash", "-c", command], "entrypoint": None,
            "environment": None, "pidNamespace": None, "portMappings": None, "mounts": None, "labels": None,
            name[0]: name[1]}


out = {}
genomics = client(genomics_doc)
ops = genomics.projects().operations()
run = genomics.pipelines().run(body={
    "pipeline": {"actions": [action(("name", "user-command"), "echo hi")],
                 "resources": {"projectId": project, "regions": ["us-central1"], "zones": [],
                               "virtualMachine": {"machineType": "n1-standard-1", "preemptible": False,
                                                  "serviceAccount": {"email": "default", "scopes": []},
                                                  "accelerators": None, "network": {"name": None}}},
                 "environment": None, "timeout": None},
    "labels": {"job-id": "py-job", "user-id": "me"}}).execute()
out["v2alpha1_run"] = run
out["v2alpha1_get"] = ops.get(name=run["name"]).execute()
out["v2alpha1_list"] = ops.list(name="projects/%s/operations" % project,
                                filter='(done = false) AND (labels."job-id" = "py-job")', pageSize=128).execute()
out["v2alpha1_cancel"] = ops.cancel(name=run["name"], body={}).execute()
out["v2alpha1_after_cancel"] = ops.get(name=run["name"]).execute()
out["v2alpha1_list_cancelled"] = ops.list(name="projects/%s/operations" % project, filter="error = 1").execute()
try:
    ops.cancel(name=run["name"], body={}).execute()
    out["v2alpha1_cancel_again"] = "accepted"
except HttpError as err:
    out["v2alpha1_cancel_again"] = {"status": err.resp.status, "error": json.loads(err.content)["error"]["status"]}

life = client(lifesciences_doc)
parent = "projects/%s/locations/us-central1" % project
lops = life.projects().locations().operations()
beta = [life.projects().locations().pipelines().run(parent=parent, body={
    "pipeline": {"actions": [action(("containerName", "user-command"), "echo %d" % i)],
                 "resources": {"regions": ["us-central1"], "virtualMachine": {"machineType": "n1-standard-1"}}},
    "labels": {"job-id": "py-beta", "task-id": str(i)}}).execute() for i in range(3)]
out["v2beta_run"] = beta[0]
out["v2beta_get"] = lops.get(name=beta[0]["name"]).execute()
out["v2beta_list"] = lops.list(name=parent, filter='labels."job-id" = "py-beta"').execute()
out["v2beta_locations"] = life.projects().locations().list(name="projects/%s" % project).execute()

# Cancel through the batch endpoint, as dsub's ddel does: two queued, one already done.
lops.cancel(name=beta[2]["name"], body={}).execute()
answers = {}


def record(request_id, response, exception):
    answers[request_id] = (
        {"status": exception.resp.status, "error": json.loads(exception.content)["error"]["status"]}
        if exception else {"response": response})


batch = life.new_batch_http_request(callback=record)
for op in beta:
    batch.add(lops.cancel(name=op["name"], body={}), request_id=op["name"])
batch.execute()
out["v2beta_batch_cancel"] = [answers[op["name"]] for op in beta]
out["v2beta_after_batch"] = [lops.get(name=op["name"]).execute() for op in beta]
print(json.dumps(out))
