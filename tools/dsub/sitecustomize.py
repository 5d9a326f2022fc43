"""Points dsub (and any google-api-python-client program) at Gaffer, unedited.

Python imports `sitecustomize` at start-up from PYTHONPATH; bin/gaffer-dsub puts this
folder there. With GAFFER_ROOT_URL set (e.g. http://127.0.0.1:8080/):

- the Genomics v2alpha1 and Cloud Life Sciences v2beta discovery documents get that root
  URL before a client is built from them, so every call, the batch endpoint included
  (googleapiclient builds it from rootUrl, not from client_options), goes to Gaffer;
  Cloud Storage calls still go to Google;
- google.auth.default() answers Gaffer's caller identity: the OIDC ID token in
  GAFFER_ID_TOKEN, read from the file GAFFER_ID_TOKEN_FILE, or printed by the command
  GAFFER_ID_TOKEN_COMMAND (e.g. "gcloud auth print-identity-token"), refreshed when it
  expires; with none of them, no credentials (a Gaffer in development mode on loopback).
"""
import base64
import json
import os
import subprocess
import time

_ROOT = os.environ.get("GAFFER_ROOT_URL")
_APIS = ("genomics", "lifesciences")

if _ROOT:
    import google.auth
    import google.auth.credentials
    from googleapiclient import discovery

    _root = _ROOT if _ROOT.endswith("/") else _ROOT + "/"

    class _GafferIdToken(google.auth.credentials.Credentials):
        """An OIDC ID token as a bearer token, read again when it expires."""

        def refresh(self, request):
            token = os.environ.get("GAFFER_ID_TOKEN")
            if not token and os.environ.get("GAFFER_ID_TOKEN_FILE"):
                with open(os.environ["GAFFER_ID_TOKEN_FILE"]) as f:
                    token = f.read()
            if not token and os.environ.get("GAFFER_ID_TOKEN_COMMAND"):
                token = subprocess.run(os.environ["GAFFER_ID_TOKEN_COMMAND"], shell=True, check=True,
                                       capture_output=True, text=True).stdout
            self.token = (token or "").strip()
            self.expiry = _expiry(self.token)

    def _expiry(token):
        import datetime
        try:
            payload = token.split(".")[1]
            claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
            # google-auth compares with a naive UTC datetime, a little early.
            return datetime.datetime.utcfromtimestamp(claims["exp"] - 60)
        except Exception:
            return datetime.datetime.utcfromtimestamp(time.time() + 300)

    def _default(*args, **kwargs):
        project = os.environ.get("GOOGLE_CLOUD_PROJECT") or os.environ.get("GCLOUD_PROJECT")
        if any(os.environ.get(v) for v in ("GAFFER_ID_TOKEN", "GAFFER_ID_TOKEN_FILE", "GAFFER_ID_TOKEN_COMMAND")):
            return _GafferIdToken(), project
        return google.auth.credentials.AnonymousCredentials(), project

    google.auth.default = _default

    _build_from_document = discovery.build_from_document

    def _pointed_at_gaffer(service, *args, **kwargs):
        document = json.loads(service) if isinstance(service, (str, bytes)) else dict(service)
        if document.get("name") in _APIS:
            document["rootUrl"] = document["mtlsRootUrl"] = _root
            document.pop("baseUrl", None)
        return _build_from_document(document, *args, **kwargs)

    discovery.build_from_document = _pointed_at_gaffer
