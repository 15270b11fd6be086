"""The botocore client factory: throttling and 5xx retried by botocore itself, an answer cut
short refused, a failure without an answer naming its operation, and every client named the
way the image's model prune (scripts/prune-botocore) finds it."""

from __future__ import annotations

import ast
import importlib.machinery
import importlib.util
import shutil
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

import botocore.session
import pytest
from botocore.exceptions import ConnectionClosedError, EndpointConnectionError

from pmcp_action.targets.aws_lambda.clients import OPERATION, AwsClients, AwsCredentials
from pmcp_action.targets.aws_lambda.config import resolve
from tests.fakes.aws_lambda import lambda_error, sts_error
from tests.support.network_faults import closed_port
from tests.support.repository import REPO_ROOT

from .helpers import AwsFactory, Harness, offline_context

KEYS = AwsCredentials("AKIACLIENTSTEST00000", "secret")


def test_throttling_and_server_errors_are_retried(harness: Harness, aws: AwsFactory) -> None:
    harness.proxy.inject(
        "CreateFunction", lambda: lambda_error(429, "TooManyRequestsException", "Rate exceeded")
    )
    harness.proxy.inject("GetCallerIdentity", lambda: sts_error(400, "Throttling", "Rate exceeded"))
    harness.proxy.inject(
        "PublishVersion", lambda: lambda_error(500, "ServiceException", "internal error")
    )
    # A plain 503 from an overloaded front end (path-based fault of the fake server).
    harness.proxy.faults.status(503, method="POST", path="/2021-10-31/functions/demo/url")

    result = harness.target().deploy()

    assert result.version == "1"
    operations = harness.proxy.operations()
    assert operations.count("CreateFunction") == 2
    assert operations.count("GetCallerIdentity") == 2
    assert operations.count("PublishVersion") == 2
    assert operations.count("CreateFunctionUrlConfig") == 2
    assert harness.proxy.pending_injections == 0 and harness.proxy.faults.pending == 0
    assert [
        v["Version"]
        for v in aws("lambda").list_versions_by_function(FunctionName="demo")["Versions"]
    ] == ["$LATEST", "1"]


PACKAGE = REPO_ROOT / "pmcp_action"


#: The factory itself passes its ``service`` argument on; nothing else may.
FACTORY = PACKAGE / "targets" / "aws_lambda" / "clients.py"


def _prune_script() -> ModuleType:
    path = REPO_ROOT / "scripts" / "prune-botocore"
    loader = importlib.machinery.SourceFileLoader("prune_botocore", str(path))
    spec = importlib.util.spec_from_loader("prune_botocore", loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def _client_calls() -> list[tuple[Path, int, ast.Call]]:
    calls = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("client", "anonymous", "create_client")
            ):
                calls.append((path, node.lineno, node))
    return calls


@contextmanager
def short_answer_server() -> Iterator[int]:
    """A loopback server that promises 100 bytes, sends 12 and closes cleanly (FIN)."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            with conn:
                conn.recv(65536)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + b'{"Version":')

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        stop.set()
        thread.join(timeout=2)
        listener.close()


def _clients(tmp_path: Path, endpoint: str) -> AwsClients:
    config, problems = resolve(offline_context(tmp_path, environ={"AWS_ENDPOINT_URL": endpoint}))
    assert problems == []
    return AwsClients(config, environ={}, max_attempts=1)


def test_an_answer_cut_short_is_a_broken_connection_not_a_success(tmp_path: Path) -> None:
    with short_answer_server() as port:
        lam = _clients(tmp_path, f"http://127.0.0.1:{port}").client("lambda", KEYS)
        with pytest.raises(ConnectionClosedError, match="127.0.0.1") as caught:
            lam.publish_version(FunctionName="demo")

    assert "the answer ended after 11 of 100 bytes" in str(caught.value.kwargs["error"])
    assert getattr(caught.value, OPERATION) == "PublishVersion"


def test_a_failure_without_an_answer_names_its_operation(tmp_path: Path) -> None:
    sts = _clients(tmp_path, f"http://127.0.0.1:{closed_port()}").anonymous("sts")

    with pytest.raises(EndpointConnectionError) as caught:
        sts.get_caller_identity()

    assert getattr(caught.value, OPERATION) == "GetCallerIdentity"


def test_no_client_factory_is_passed_around_uncalled() -> None:
    """``partial(clients.client, "kms", …)`` hides the service from the prune scan (an image
    once lacked the kms model that way): the factory is only ever called, with the service."""
    for path in sorted(FACTORY.parent.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        called = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and node.attr in ("client", "anonymous")
                and isinstance(node.ctx, ast.Load)
                and id(node) not in called
                and not (isinstance(node.value, ast.Name) and node.value.id == "self")
            ):
                where = f"{path.relative_to(REPO_ROOT)}:{node.lineno}"
                raise AssertionError(f"{where}: call the client factory, do not pass it on")


def test_every_client_the_code_creates_names_its_service_the_way_the_prune_scan_reads() -> None:
    named: set[str] = set()
    for path, line, call in _client_calls():
        assert isinstance(call.func, ast.Attribute)
        if path == FACTORY and call.func.attr == "create_client":
            continue
        where = f"{path.relative_to(REPO_ROOT)}:{line}"
        assert call.func.attr != "create_client", (
            f"{where}: create clients through the factory (client()/anonymous())"
        )
        first = call.args[0] if call.args else None
        assert isinstance(first, ast.Constant) and isinstance(first.value, str), (
            f"{where}: the service must be a string literal, or scripts/prune-botocore "
            "cannot see it and the image would lack its model"
        )
        named.add(first.value)
    assert named == _prune_script().services_used(PACKAGE)
    assert {"sts", "iam", "lambda", "logs", "s3", "kms"} <= named


@pytest.mark.parametrize("service", sorted(_prune_script().services_used(PACKAGE)))
def test_every_service_found_has_a_botocore_model(service: str) -> None:
    session = botocore.session.get_session()
    assert session.get_service_model(service).service_name == service


def test_prune_keeps_the_named_services_and_the_shared_files(tmp_path: Path) -> None:
    data = tmp_path / "data"
    for name in ("lambda", "sts", "ec2", "sagemaker"):
        (data / name / "2015-03-31").mkdir(parents=True)
        (data / name / "2015-03-31" / "service-2.json.gz").write_bytes(b"x" * 10)
    (data / "endpoints.json").write_text("{}")
    removed, freed = _prune_script().prune(data, {"lambda", "sts"})
    assert (removed, freed) == (2, 20)
    assert sorted(p.name for p in data.iterdir()) == ["endpoints.json", "lambda", "sts"]


def test_compacted_models_still_make_every_client_and_resolve_its_endpoint(
    tmp_path: Path,
) -> None:
    """The image's botocore data is pruned, then compacted (examples removed, every plain
    .json gzipped): botocore's own loader, given only that copy, still makes every client the
    code creates and resolves its regional endpoint."""
    from botocore.loaders import Loader

    script = _prune_script()
    data = tmp_path / "data"
    shutil.copytree(Path(botocore.__file__).parent / "data", data)
    keep = script.services_used(PACKAGE) | script.CREDENTIAL_CHAIN
    script.prune(data, keep)
    gzipped, saved = script.compact(data)

    assert gzipped and saved > 1_000_000  # endpoints.json alone is over a megabyte
    assert not list(data.rglob("*.json")) and not list(data.rglob("examples-1.*"))
    session = botocore.session.Session()
    session.register_component(
        "data_loader", Loader(extra_search_paths=[str(data)], include_default_search_paths=False)
    )
    for service in sorted(keep):
        client = session.create_client(
            service,
            region_name="eu-west-1",
            aws_access_key_id="k",
            aws_secret_access_key="s",
        )
        assert client.meta.endpoint_url.startswith("https://"), service
        assert "eu-west-1" in client.meta.endpoint_url or service in ("iam", "sts"), service


def test_prune_refuses_to_drop_a_model_it_was_asked_to_keep(tmp_path: Path) -> None:
    (tmp_path / "lambda").mkdir()
    with pytest.raises(SystemExit, match="no model for sts"):
        _prune_script().prune(tmp_path, {"lambda", "sts"})


def test_the_models_botocores_credential_chain_needs_are_kept() -> None:
    """`auth: ambient` runs botocore's chain, which makes clients of its own (SSO, assume-role)."""
    import re

    import botocore

    source = Path(botocore.__file__).parent
    made: set[str] = set()
    for name in ("credentials.py", "tokens.py"):
        text = (source / name).read_text(encoding="utf-8")
        made.update(re.findall(r"""_client_creator\(\s*['"]([a-z0-9-]+)['"]""", text))
        made.update(re.findall(r"""create_nested_client\([^,]+,\s*['"]([a-z0-9-]+)['"]""", text))
    assert {"sts", "sso", "sso-oidc"} <= made  # the scan still reads botocore's code
    assert made <= _prune_script().CREDENTIAL_CHAIN
