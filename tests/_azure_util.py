"""Helpers for the Azure tests: the specs to check, REST-body comparison, and a recording Azure ML REST transport."""

from __future__ import annotations

import io
import json
import re
import threading
import time
import zlib
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import requests
import yaml
from azure.core.credentials import AccessToken
from azure.core.pipeline._tools import is_rest
from azure.core.pipeline.transport import HttpTransport, RequestsTransportResponse
from requests.structures import CaseInsensitiveDict

from _blob_https import list_blobs_xml, make_ca_and_cert, server_context

ROOT = Path(__file__).resolve().parents[1]
OFFICIAL = ROOT / "tests" / "fixtures" / "official"
SWEEP_SPECS = ROOT / "sweep_specs"


# the official corpus, verbatim: azure-ai-ml's own sweep-job test configs and azureml-examples' CLI sweeps
CORPUS_ROOTS = (OFFICIAL / "azure-ai-ml", OFFICIAL / "azureml-examples")


@dataclass(frozen=True)
class Refusal:
    """Why a file of the official corpus is refused: where and what we say, and who else refuses it."""

    path: str  # the key path of the problem, "" for the whole file
    message: str  # a fragment of our message
    load_job: str | None  # a fragment of load_job's own error when it refuses too; None when only the service does
    why: str
    # "load": load_spec refuses it; "azure": only for Azure (validate.check_azure), the builder still builds the body
    # load_job builds, and both fail at submission
    stage: str = "load"


_GRID = Refusal(
    "search_space.lr.type",
    "grid sampling needs `choice`, found `uniform`",
    None,
    "the service: grid sampling 'can only be used with choice hyperparameters' (docs: how-to-tune-hyperparameters)",
)
_NO_CODE = Refusal(
    "trial.code",
    "no such folder",
    "Can't find directory or file",
    "`code: ../python` from this subfolder names a folder azure-ai-ml's repository does not have",
)
_CODE_ASSET = Refusal(
    "trial.code",
    "the SDK cannot submit a code asset by name and version",
    None,  # load_job reads it; submitting what it read fails: "No such file or directory: .../testCode:1"
    "`az ml job create` fails on `code: azureml:<name>:<version>` at submission (azure-ai-ml 1.35)",
    stage="azure",
)
REFUSED: dict[str, Refusal] = {
    "azure-ai-ml/test_configs/sweep_job/sweep-median.yaml": _CODE_ASSET,
    "azure-ai-ml/test_configs/sweep_job/sweep-truncation.yaml": _CODE_ASSET,
    "azure-ai-ml/test_configs/sweep_job/sweep_job_recursive_search_space.yaml": _CODE_ASSET,
    "azure-ai-ml/test_configs/sweep_job/sweep_job_search_space_choice_string.yml": _CODE_ASSET,
    "azure-ai-ml/test_configs/sweep_job/object_sampling_algorithm/sweep_job_grid_sampling_algorithm_object.yml": _GRID,
    "azure-ai-ml/test_configs/sweep_job/string_sampling_algorithm/sweep_job_grid_sampling_algorithm_string.yml": _GRID,
    "azure-ai-ml/test_configs/sweep_job/sweep-bandit.yaml": Refusal(
        "early_termination",
        "exactly one of slack_factor and slack_amount, found both",
        None,
        "the service, as its v1 SDK said before submitting: 'For bandit termination policy, specify either slack "
        "factor or slack amount' (azureml-train-core BanditPolicy); load_job sends both",
    ),
    "azure-ai-ml/test_configs/sweep_job/sampling_algorithm_properties/sweep_job_random_seed.yml": _NO_CODE,
    "azure-ai-ml/test_configs/sweep_job/string_sampling_algorithm/sweep_job_bayesian_sampling_algorithm_string.yml": (
        _NO_CODE
    ),
    "azure-ai-ml/test_configs/sweep_job/office_sweep_test/component.yml": Refusal(
        "",
        "a command component, not a sweep job",
        "Validation for CommandSchema failed",
        "a component file kept among the sweep configs; load_job reads it as a command job and refuses it",
    ),
}
# pipeline jobs written for the tests, beside the official ones
PIPELINE_FIXTURES = ROOT / "tests" / "fixtures" / "pipelines"


def official_files() -> list[Path]:
    """Every YAML file of the official corpus: sweep jobs, pipeline jobs and their component files."""
    return sorted(p for root in CORPUS_ROOTS for p in root.rglob("*") if p.suffix in (".yaml", ".yml"))


def _is_pipeline_job(path: Path) -> bool:
    data = yaml.safe_load(path.read_text())
    return isinstance(data, dict) and data.get("type") == "pipeline"


def official_pipelines() -> list[Path]:
    return [p for p in official_files() if _is_pipeline_job(p)]


def pipelines() -> list[Path]:
    """Every pipeline job the pipeline tests check: the official ones and ours (the valid ones, at the top of
    tests/fixtures/pipelines)."""
    return official_pipelines() + sorted(PIPELINE_FIXTURES.glob("*.yml"))


def corpus() -> list[Path]:
    """Every sweep-job file of the official corpus, refused ones included: not the pipeline jobs, nor the component
    files in their folders."""
    folders = [p.parent for p in official_pipelines()]
    return [p for p in official_files() if not any(p.is_relative_to(f) for f in folders)]


def corpus_key(path: Path) -> str:
    return path.relative_to(OFFICIAL).as_posix()


def refusal(path: Path) -> Refusal | None:
    return REFUSED.get(corpus_key(path)) if path.is_relative_to(OFFICIAL) else None


def parity_specs() -> list[Path]:
    """Every official-format fixture, every file of the official corpus the spec loader accepts (those Azure alone
    refuses included: their body is still load_job's), every ready spec in sweep_specs/."""
    accepted = [p for p in corpus() if refusal(p) is None or refusal(p).stage == "azure"]
    found = sorted(OFFICIAL.glob("*.yaml")) + accepted
    if SWEEP_SPECS.is_dir():
        found += sorted(p for p in SWEEP_SPECS.iterdir() if p.suffix in (".yaml", ".yml"))
    return found


def plain(value: Any) -> Any:
    """A REST body as plain JSON data; an inline (not yet registered) Environment as its YAML dict."""
    return json.loads(json.dumps(value, default=lambda o: {"<environment>": o._to_dict()}))


def differences(ours: Any, theirs: Any, path: str = "") -> list[str]:
    """Field-by-field differences, one line each: `properties.trial.command: ours 'a' != load_job 'b'`."""
    if isinstance(ours, dict) and isinstance(theirs, dict):
        out = []
        for key in list(ours) + [k for k in theirs if k not in ours]:
            sub = f"{path}.{key}" if path else key
            if key not in theirs:
                out.append(f"{sub}: only ours sends it: {ours[key]!r}")
            elif key not in ours:
                out.append(f"{sub}: only load_job sends it: {theirs[key]!r}")
            else:
                out += differences(ours[key], theirs[key], sub)
        return out
    if isinstance(ours, list) and isinstance(theirs, list) and len(ours) == len(theirs):
        return [
            d for i, (a, b) in enumerate(zip(ours, theirs, strict=False)) for d in differences(a, b, f"{path}[{i}]")
        ]
    if ours != theirs or type(ours) is not type(theirs):
        return [f"{path}: ours {ours!r} != load_job {theirs!r}"]
    return []


# ---------------------------------------------------------------------------------------------------------------
# a recording Azure ML REST API, injected into the real MLClient as its azure-core HTTP transport


SUBSCRIPTION, RESOURCE_GROUP, WORKSPACE = "00000000-1111-2222-3333-444444444444", "rg-sweep", "ws-sweep"
ARM = "https://management.azure.com"
REGION_API = "westeurope.api.azureml.ms"
WS_PATH = (
    f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{RESOURCE_GROUP}"
    f"/providers/Microsoft.MachineLearningServices/workspaces/{WORKSPACE}"
)


TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
# the workspace's datastores -> their blob containers (a workspace has both; the artifact store holds runs' files)
DATASTORES = {"workspaceartifactstore": "azureml", "workspaceblobstore": "azureml-blobstore-5e0c1f5a"}


class StaticToken:
    """A credential that hands out a fixed token per scope, shaped as Entra ID's are (a JWT with aud and tid).

    The SDK reads the token: ``tid`` for the studio URL, and ``aud`` when a job runs as the user (identity:
    user_identity), where it checks the token is for Azure ML. The signature is never verified client-side.
    """

    def get_token(self, *scopes, **kwargs) -> AccessToken:
        import jwt

        audience = scopes[0].removesuffix("/.default") if scopes else ""
        claims = {
            "aud": audience,
            "tid": TENANT,
            "oid": "11111111-2222-3333-4444-555555555555",
            "exp": int(time.time()) + 3600,
        }
        return AccessToken(
            jwt.encode(claims, "not-a-real-key-but-long-enough-for-hs256", algorithm="HS256"), claims["exp"]
        )


def token_claims(authorization: str) -> dict:
    import jwt

    scheme, token = authorization.split(" ", 1)
    assert scheme == "Bearer"
    return jwt.decode(token, options={"verify_signature": False})


def drop_zero_slacks(body: dict) -> dict:
    """A Bandit policy's zero slack, which the sweep node leaves out and the YAML path sends as 0.

    ``Sweep.__setattr__`` turns a slack of 0 into None so that only the slack the user set is sent; load_job's
    policy keeps the class default 0. Both mean "this slack is not used" to the service (docs/semantics.md, "Azure SDK facts the submitter relies on"), and the
    validator has already made sure exactly one slack is set.
    """
    policy = body.get("properties", {}).get("earlyTermination") or {}
    for slack in ("slackFactor", "slackAmount"):
        if policy.get(slack) == 0:
            del policy[slack]
    return body


@dataclass
class Recorded:
    method: str
    url: str
    headers: dict
    body: Any

    @property
    def path(self) -> str:
        return urlsplit(self.url).path

    @property
    def query(self) -> dict:
        return {k: v[0] for k, v in parse_qs(urlsplit(self.url).query).items()}


class BlobStore:
    """Azure Blob Storage on loopback for the code upload.

    The SDK uploads ``code`` with its own BlobServiceClient, built from the SAS URI that startPendingUpload returns
    and without the MLClient's transport; the SAS URI we return points here, so the real storage client performs
    the real upload (PUT Blob, blob properties) over HTTP to this thread and nothing leaves the machine.
    """

    def __init__(self):
        self.blobs: dict[str, bytes] = {}
        self.requests: list[tuple[str, str]] = []
        self.tls = None  # an ssl.SSLContext once ``serve_https`` was called
        store = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _reply(self, status: int, body: bytes = b"", headers: dict | None = None):
                self.send_response(status)
                for k, v in {"x-ms-request-id": "1", "x-ms-version": "2021-08-06", **(headers or {})}.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if body and self.command != "HEAD":
                    self.wfile.write(body)

            def do_PUT(self):
                path = urlsplit(self.path).path
                length = int(self.headers.get("Content-Length") or 0)
                data = self.rfile.read(length)
                store.requests.append(("PUT", self.path))
                metadata = "comp=metadata" in self.path  # Set Blob Metadata answers 200, Put Blob 201
                if not metadata:
                    store.blobs[path] = data
                self._reply(
                    200 if metadata else 201,
                    headers={"ETag": '"0x1"', "Last-Modified": "Mon, 23 Nov 2026 10:00:00 GMT"},
                )

            def do_HEAD(self):
                path = urlsplit(self.path).path
                store.requests.append(("HEAD", self.path))
                if path in store.blobs:
                    self._reply(
                        200, headers={"Content-Length": str(len(store.blobs[path])), "x-ms-blob-type": "BlockBlob"}
                    )
                else:
                    self._reply(404, headers={"x-ms-error-code": "BlobNotFound"})

            def do_GET(self):
                store.requests.append(("GET", self.path))
                parts = urlsplit(self.path)
                path, query = unquote(parts.path), {k: v[0] for k, v in parse_qs(parts.query).items()}
                if query.get("comp") == "list":  # List Blobs: the container's blobs under the prefix
                    prefix = query.get("prefix", "")
                    container = path.strip("/")
                    under = {
                        name[len(container) + 2 :]: data
                        for name, data in store.blobs.items()
                        if name.startswith(f"/{container}/{prefix}")
                    }
                    body = list_blobs_xml("sweepsa", container, prefix, under)
                    return self._reply(200, body, {"Content-Type": "application/xml"})
                if path not in store.blobs:
                    return self._reply(404, b"", {"x-ms-error-code": "BlobNotFound"})
                data = store.blobs[path]
                headers = {
                    "Content-Type": "application/octet-stream",
                    "ETag": '"0x1"',
                    "Last-Modified": "Mon, 23 Nov 2026 10:00:00 GMT",
                    "x-ms-blob-type": "BlockBlob",
                }
                span = re.match(r"bytes=(\d+)-(\d*)", self.headers.get("x-ms-range") or self.headers.get("Range") or "")
                if span:  # Get Blob with a range, as the storage client asks: 206 and the part asked for
                    start = int(span.group(1))
                    end = min(int(span.group(2)) if span.group(2) else len(data) - 1, len(data) - 1)
                    headers["Content-Range"] = f"bytes {start}-{end}/{len(data)}"
                    return self._reply(206, data[start : end + 1], headers)
                self._reply(200, data, headers)

            def do_CONNECT(self):
                # HTTPS_PROXY points here: the tunnel's TLS ends here, with the test CA's certificate for
                # *.blob.core.windows.net, and the requests inside it are served by this same handler
                store.requests.append(("CONNECT", self.path))
                if not self.path.endswith(".blob.core.windows.net:443"):  # e.g. MLflow's telemetry: not through here
                    return self._reply(502)
                self.send_response(200, "Connection Established")
                self.end_headers()
                self.wfile.flush()
                self.connection = store.tls.wrap_socket(self.connection, server_side=True)
                self.rfile = self.connection.makefile("rb", self.rbufsize)
                self.wfile = self.connection.makefile("wb", 0)
                self.close_connection = False

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def serve_https(self, folder: Path) -> Path:
        """Answer CONNECT as an HTTPS proxy for the storage account's host; returns the CA file to trust."""
        ca, cert, key = make_ca_and_cert(folder)
        self.tls = server_context(cert, key)
        return ca

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def _json_response(request, status: int, payload: Any, headers: dict | None = None):
    raw = requests.Response()
    raw.status_code = status
    raw.reason = {200: "OK", 201: "Created", 202: "Accepted", 400: "Bad Request", 404: "Not Found"}.get(
        status, "Status"
    )
    text = isinstance(payload, str)  # a log file; everything else the API answers is JSON
    raw._content = payload.encode() if text else json.dumps(payload).encode() if payload is not None else b""
    raw.headers = CaseInsensitiveDict(
        {
            "content-type": "text/plain; charset=utf-8" if text else "application/json; charset=utf-8",
            "x-ms-request-id": "r1",
            **(headers or {}),
        }
    )
    raw.raw = io.BytesIO(raw._content)  # what requests keeps to close; the body is already read
    raw.url = request.url
    raw.encoding = "utf-8"
    if is_rest(request):
        from azure.core.rest._requests_basic import RestRequestsTransportResponse

        response = RestRequestsTransportResponse(request=request, internal_response=raw)
        response._content = raw._content  # the whole body is here already: nothing to stream
        return response
    return RequestsTransportResponse(request, raw)


def service_error(status: int, code: str, message: str) -> dict:
    return {"status": status, "body": {"error": {"code": code, "message": message}}}


class InMemoryTransport(HttpTransport):
    """An azure-core transport that holds no connection: what opening, closing and a ``with`` block ask of it."""

    def __enter__(self):
        return self

    def __exit__(self, *args):
        pass

    def open(self):
        pass

    def close(self):
        pass


class AzureMLRest(InMemoryTransport):
    """The Azure ML and ARM REST API as far as submitting a sweep needs, answering as the service does.

    Every request is recorded in ``requests``. ``failures`` maps a (method, path-regex) to a canned error, for the
    failure tests; ``workspaces`` lists the workspaces that exist.
    """

    def __init__(self, blob_store: BlobStore, workspaces=(WORKSPACE,)):
        self.blob_store = blob_store
        self.workspaces = set(workspaces)
        self.requests: list[Recorded] = []
        self.failures: dict[tuple[str, str], dict] = {}
        self.code_versions: dict[str, dict] = {}
        self.jobs: dict[str, dict] = {}
        self.environments: dict[str, dict] = {}
        self.components: dict[str, dict] = {}  # "name:version" -> the component version as registered
        self.run_statuses: list[str] = []  # what run history answers to successive polls, then final_status
        self.final_status = "Completed"
        self.logs: dict[str, str] = {}  # job name -> its hyperdrive.txt, served once the run reports it
        self.children: dict[str, list[dict]] = {}  # sweep job name -> its trials as RunHistory `Run` objects
        self.page_size = 100  # items per page of a listing; every further page is reached by its `nextLink`
        self.run_outputs: dict[str, dict] = {}  # job name -> RunHistory's outputs: {name: {assetId, type}}
        self.data_uris: dict[str, dict] = {}  # data asset id -> {uri, type}, as batchGetResolvedUris resolves it
        self.models: dict[str, dict[str, dict]] = {}  # model name -> version -> the registered model version

    def send(self, request, **kwargs):
        content = request.content if is_rest(request) else request.body
        if isinstance(content, (bytes, bytearray)):
            content = content.decode()
        body = json.loads(content) if content else None
        rec = Recorded(request.method, request.url, dict(request.headers), body)
        self.requests.append(rec)
        for (method, pattern), canned in self.failures.items():
            if method == rec.method and re.search(pattern, rec.path):
                return _json_response(request, canned["status"], canned["body"])
        status, payload = self._answer(rec)
        if status == 202 and isinstance(payload, tuple):  # an accepted long-running operation: body and headers
            return _json_response(request, status, payload[0], payload[1])
        return _json_response(request, status, payload)

    def pipeline_steps(self, pipeline: str, steps: dict[str, tuple[str, str, str | None, str | None]]) -> None:
        """Give pipeline job ``pipeline`` its step jobs, as RunHistory lists a pipeline's children: ``steps`` maps
        each step (the node's name, which RunHistory gives as the child's ``displayName``) to (the child job's
        name, its status, start, end). The fields are RunHistory's ``Run`` (azure-ai-ml's
        ``_restclient/runhistory/models``); a node's id in ``azureml.nodeid`` is an id, not the step's name."""
        self.children[pipeline] = [
            {
                "runId": run_id,
                "parentRunId": pipeline,
                "rootRunId": pipeline,
                "experimentId": "5e0c1f5a-0000-4000-8000-0000000000e2",
                "status": status,
                "displayName": step,
                "createdUtc": start or "2026-11-30T10:00:00.000Z",
                "startTimeUtc": start,
                "endTimeUtc": end,
                "tags": {"azureml.nodeid": f"{zlib.crc32(step.encode()):08x}", "azureml.pipeline": pipeline},
                "properties": {
                    "azureml.nodeid": f"{zlib.crc32(step.encode()):08x}",
                    "azureml.pipelinerunid": pipeline,
                    "azureml.runsource": "azureml.StepRun",
                },
                "runTypeV2": {"orchestrator": "Execution", "traits": ["azureml.StepRun"]},
            }
            for step, (run_id, status, start, end) in steps.items()
        ]

    def requests_to(self, method: str, pattern: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method and re.search(pattern, r.path)]

    def _answer(self, rec: Recorded) -> tuple[int, Any]:
        if urlsplit(rec.url).netloc == REGION_API:
            return self._answer_region(rec)
        operation = re.match(
            r"^/subscriptions/[^/]+/providers/Microsoft.MachineLearningServices/locations/[^/]+/mfeOperationResults/jc:(.+)$",
            rec.path,
        )
        if operation and rec.method == "GET":
            return self._cancel_done(operation.group(1))
        m = re.match(
            r"^/subscriptions/([^/]+)/resourceGroups/([^/]+)/providers/Microsoft.MachineLearningServices/workspaces/([^/]+)(.*)$",
            rec.path,
        )
        if not m or m.group(3) not in self.workspaces or m.group(1) != SUBSCRIPTION or m.group(2) != RESOURCE_GROUP:
            name = m.group(3) if m else "?"
            return 404, {
                "error": {
                    "code": "ResourceNotFound",
                    "message": (
                        f"The Resource 'Microsoft.MachineLearningServices/workspaces/{name}' under resource group "
                        f"'{m.group(2) if m else '?'}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix"
                    ),
                }
            }
        ws_id = rec.path[: len(rec.path) - len(m.group(4))]
        rest = m.group(4)
        if rest == "" and rec.method == "GET":
            return 200, self._workspace(ws_id, m.group(3))
        code = re.match(r"^/codes/([^/]+)/versions(?:/([^/]+))?(/startPendingUpload)?$", rest)
        if code:
            name, version, pending = code.groups()
            if rec.method == "GET" and version is None:
                # a snapshot with this content hash was uploaded before: the SDK reuses it, as the service lets it
                known = [
                    c
                    for c in self.code_versions.values()
                    if c["properties"]["properties"]["hash_sha256"] == rec.query.get("hash")
                ]
                return 200, {"value": known[:1]}
            if rec.method == "POST" and pending:
                prefix = f"LocalUpload/{name}"
                return 200, {
                    "blobReferenceForConsumption": {
                        "blobUri": f"{self.blob_store.url}/azureml-blobstore/{prefix}",
                        "storageAccountArmId": "/subscriptions/x/resourceGroups/x/providers/Microsoft.Storage/storageAccounts/sweepsa",
                        "credential": {
                            "credentialType": "SAS",
                            "sasUri": f"{self.blob_store.url}/azureml-blobstore/{prefix}?sv=2021-08-06&sig=test",
                        },
                    },
                    "pendingUploadId": name,
                    "pendingUploadType": "TemporaryBlobReference",
                }
            if rec.method == "PUT":
                resource = {
                    "id": f"{ws_id}/codes/{name}/versions/{version}",
                    "name": version,
                    "type": "Microsoft.MachineLearningServices/workspaces/codes/versions",
                    **rec.body,
                }
                self.code_versions[f"{name}:{version}"] = resource
                return 201, resource
            if rec.method == "GET" and f"{name}:{version}" in self.code_versions:
                return 200, self.code_versions[f"{name}:{version}"]
        # environment versions, and a pipeline's anonymous components (registered by content hash before the job)
        version = re.match(r"^/(environments|components)/([^/]+)/versions/([^/]+)$", rest)
        if version:
            kind, name, number = version.groups()
            registry = self.environments if kind == "environments" else self.components
            key = f"{name}:{number}"
            if rec.method == "PUT":
                registry[key] = {
                    "id": f"{ws_id}{rest}",
                    "name": number,
                    "type": f"Microsoft.MachineLearningServices/workspaces/{kind}/versions",
                    **rec.body,
                }
                return 201, registry[key]
            if rec.method == "GET" and key in registry:
                return 200, registry[key]
        found = self._answer_assets(rec, ws_id, rest)
        if found is not None:
            return found
        if rest == "/jobs" and rec.method == "GET":
            # the ARM jobs listing: one page of `page_size`, and a nextLink carrying the skip token for the next
            return 200, self._page(list(self.jobs.values()), rec, f"{ARM}{ws_id}/jobs", "$skipToken")
        cancel = re.match(r"^/jobs/([^/]+)/cancel$", rest)
        if cancel and rec.method == "POST":
            if cancel.group(1) not in self.jobs:
                return 404, {"error": {"code": "UserError", "message": f"Job {cancel.group(1)} not found"}}
            self.jobs[cancel.group(1)]["properties"]["status"] = "CancelRequested"
            location = (
                f"{ARM}/subscriptions/{SUBSCRIPTION}/providers/Microsoft.MachineLearningServices/locations/westeurope"
                f"/mfeOperationResults/jc:{cancel.group(1)}?api-version=2023-04-01-preview"
            )
            return 202, ({}, {"Location": location, "Retry-After": "0"})
        job = re.match(r"^/jobs/([^/]+)$", rest)
        if job:
            name = job.group(1)
            if rec.method == "PUT":
                resource = json.loads(json.dumps(rec.body))
                props = resource["properties"]
                props["status"] = "Running"
                props["services"] = {
                    "Studio": {
                        "jobServiceType": "Studio",
                        "endpoint": (f"https://ml.azure.com/runs/{name}?wsid={ws_id}"),
                    }
                }
                resource.update(
                    id=f"{ws_id}/jobs/{name}", name=name, type="Microsoft.MachineLearningServices/workspaces/jobs"
                )
                self.jobs[name] = resource
                return 201, resource
            if rec.method == "GET" and name in self.jobs:
                return 200, self.jobs[name]
        return 404, {"error": {"code": "NotFound", "message": f"no route for {rec.method} {rest} in the test API"}}

    def _answer_assets(self, rec: Recorded, ws_id: str, rest: str) -> tuple[int, Any] | None:
        """Datastores (what a download reads its storage account and key from) and the model registry."""
        if rest == "/datastores" and rec.method == "GET":  # the listing, `isDefault=true` asks for the default
            names = [n for n in DATASTORES if rec.query.get("isDefault") != "true" or n == "workspaceblobstore"]
            return 200, {"value": [self._datastore(ws_id, n) for n in names]}
        store = re.match(r"^/datastores/([^/]+)(/listSecrets)?$", rest)
        if store and store.group(1) in DATASTORES:
            name = store.group(1)
            if store.group(2) and rec.method == "POST":
                # an account-key datastore's secret; the storage client signs with it (nothing here checks it)
                return 200, {"secretsType": "AccountKey", "key": "c3dlZXAtdGVzdC1hY2NvdW50LWtleQ=="}
            if rec.method == "GET":
                return 200, self._datastore(ws_id, name)
        model = re.match(r"^/models/([^/]+)(/versions)?(?:/([^/]+))?$", rest)
        if model:
            name, versions, version = model.groups()
            known = self.models.get(name, {})
            if rec.method == "PUT" and version:
                resource = json.loads(json.dumps(rec.body))
                # the service answers with the version as stored: flavors (read from an MLmodel; none here), state
                resource["properties"] = {"flavors": {}, "provisioningState": "Succeeded", **resource["properties"]}
                resource.update(
                    id=f"{ws_id}/models/{name}/versions/{version}",
                    name=version,
                    type="Microsoft.MachineLearningServices/workspaces/models/versions",
                )
                self.models.setdefault(name, {})[version] = resource
                return 201, resource
            if rec.method == "GET" and versions and version is None:  # the latest version first, as asked
                return 200, {"value": [known[v] for v in sorted(known, key=int, reverse=True)][:1]}
            if rec.method == "GET" and version in known:
                return 200, known[version]
            if rec.method == "GET" and not versions and known:
                return 200, {
                    "id": f"{ws_id}/models/{name}",
                    "name": name,
                    "properties": {"latestVersion": max(known, key=int), "nextVersion": str(len(known) + 1)},
                }
            return 404, {"error": {"code": "UserError", "message": f"Model container {name} not found"}}
        return None

    @staticmethod
    def _datastore(ws_id: str, name: str) -> dict:
        return {
            "id": f"{ws_id}/datastores/{name}",
            "name": name,
            "type": "Microsoft.MachineLearningServices/workspaces/datastores",
            "properties": {
                "datastoreType": "AzureBlob",
                "accountName": "sweepsa",
                "containerName": DATASTORES[name],
                "endpoint": "core.windows.net",
                "protocol": "https",
                "credentials": {"credentialsType": "AccountKey"},
                "isDefault": name == "workspaceblobstore",
                "serviceDataAccessAuthIdentity": "None",
            },
        }

    def _answer_region(self, rec: Recorded) -> tuple[int, Any]:
        """The workspace's regional endpoints: discovery, and run history (what ``jobs.stream`` polls)."""
        api = f"https://{REGION_API}"
        if rec.path == "/discovery":
            return 200, {
                "api": api,
                "catalog": api,
                "experimentation": api,
                "gallery": api,
                "history": api,
                "hyperdrive": api,
                "labeling": api,
                "modelmanagement": api,
                "pipelines": api,
                "studio": "https://ml.azure.com",
            }
        run = re.match(
            r"^/history/v1\.0/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.MachineLearningServices/workspaces/[^/]+/runs/([^/]+)/details$",
            rec.path,
        )
        if run and rec.method == "GET" and run.group(1) in self.jobs:
            status = self.run_statuses.pop(0) if self.run_statuses else self.final_status
            self.jobs[run.group(1)]["properties"]["status"] = status
            logs = (
                {"azureml-logs/hyperdrive.txt": f"{api}/logs/{run.group(1)}/hyperdrive.txt"}
                if run.group(1) in self.logs
                else {}
            )
            return 200, {"runId": run.group(1), "status": status, "logFiles": logs, "warnings": [], "properties": {}}
        children = re.match(
            r"^/history/v1\.0/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.MachineLearningServices/workspaces/[^/]+/runs/([^/]+)/children$",
            rec.path,
        )
        if children and rec.method == "GET":
            runs = self.children.get(children.group(1), [])
            return 200, self._page(runs, rec, f"{api}{rec.path}", "$continuationtoken", continuation=True)
        workspace_api = r"^/[a-z]+/v1\.0/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.MachineLearningServices/workspaces/[^/]+"
        if rec.method == "POST" and re.match(workspace_api + r"/rundata$", rec.path):
            run_id = rec.body["runId"]
            if run_id not in self.jobs:
                return 404, {"error": {"code": "UserError", "message": f"Run {run_id} was not found"}}
            outputs = self.run_outputs.get(run_id, {})
            return 200, {"runMetadata": {"runId": run_id, "status": "Completed", "outputs": outputs}}
        if rec.method == "POST" and re.match(workspace_api + r"/dataversion/batchGetResolvedUris$", rec.path):
            return 200, {"values": {i: self.data_uris[i] for i in rec.body["values"] if i in self.data_uris}}
        log = re.match(r"^/logs/([^/]+)/hyperdrive\.txt$", rec.path)
        if log and log.group(1) in self.logs:
            return 200, self.logs[log.group(1)]
        return 404, {"error": {"code": "NotFound", "message": f"no route for {rec.method} {rec.path} in the test API"}}

    def _page(self, items: list, rec: Recorded, base: str, token: str, continuation: bool = False) -> dict:
        """One page of a listing, as ARM (`nextLink` with a skip token) and RunHistory (also `continuationToken`) page."""
        start = int(rec.query.get(token, 0))
        size = min(self.page_size, int(rec.query.get("$top", self.page_size)))
        end = start + size
        page: dict[str, Any] = {"value": items[start:end]}
        if end < len(items):
            page["nextLink"] = f"{base}?{token}={end}" + (
                f"&api-version={rec.query['api-version']}" if "api-version" in rec.query else ""
            )
            if continuation:
                page["continuationToken"] = str(end)
        return page

    def _cancel_done(self, name: str) -> tuple[int, Any]:
        """The cancel's async operation: done once the service has canceled the sweep and its running trials."""
        job = self.jobs[name]
        job["properties"]["status"] = "Canceled"
        for child in self.children.get(name, []):
            if child["status"] in ("Running", "Queued", "NotStarted", "Starting", "Preparing"):
                child["status"] = "Canceled"
        return 200, None

    def _workspace(self, ws_id: str, name: str) -> dict:
        return {
            "id": ws_id,
            "name": name,
            "type": "Microsoft.MachineLearningServices/workspaces",
            "location": "westeurope",
            "kind": "Default",
            "identity": {"type": "SystemAssigned"},
            "properties": {
                "friendlyName": name,
                "workspaceId": "5e0c1f5a-0000-4000-8000-000000000001",
                "storageAccount": "/subscriptions/x/resourceGroups/x/providers/Microsoft.Storage/storageAccounts/sweepsa",
                "discoveryUrl": f"https://{REGION_API}/discovery",
                "mlFlowTrackingUri": f"azureml://westeurope.api.azureml.ms/mlflow/v1.0{ws_id}",
                "provisioningState": "Succeeded",
            },
        }


def submit_specs(rest, specs, *, credential=None, workspace=WORKSPACE, wait=False, as_json=False, **client_kwargs):
    """``sweep submit``'s cloud path (``submit_cli``) for loaded specs or pipelines, as the CLI calls it, with our
    static credential and the recorded API ``rest`` under the real client: (exit code, stdout, stderr)."""
    from rich.console import Console

    from submit.cli.cloud_submit import submit_cli

    out, err = io.StringIO(), io.StringIO()
    code = submit_cli(
        specs,
        dry_run=False,
        wait=wait,
        subscription=SUBSCRIPTION,
        resource_group=RESOURCE_GROUP,
        workspace=workspace,
        as_json=as_json,
        out=Console(file=out, soft_wrap=True, highlight=False),
        err=Console(file=err, soft_wrap=True, highlight=False),
        credential=credential or StaticToken(),
        transport=rest,
        **client_kwargs,
    )
    return code, out.getvalue(), err.getvalue()
