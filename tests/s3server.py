"""pytest plugin: an S3-compatible server (moto's standalone server) in its own process.

Tests reach it over HTTP on 127.0.0.1 exactly as boto3 reaches AWS; nothing is patched in-process.
Loaded from conftest.py with `pytest_plugins = ["s3server"]`.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
import tomlkit

from faultproxy import FaultProxy
from radiodesk.show.settings import CONFIG_FILE, Settings
from radiodesk.show.settings_file import load_settings

MOTO_SERVER = Path(sys.executable).with_name("moto_server")
STARTUP_S = 30.0
REGION = "us-east-1"
PREFIX = "podcasts/radio"
# Distinctive dummy credentials, so a test can prove they never reach the output.
ACCESS_KEY_ID = "AKIARADIODESKTEST042"
SECRET_ACCESS_KEY = "radiodesk-test-secret-Qx7vN2pLw9"


@dataclass(frozen=True, slots=True)
class Bucket:
    """A fresh bucket on the test server and a boto3 client that talks to it directly."""

    name: str
    endpoint: str
    client: Any  # a botocore S3 client


@dataclass(frozen=True, slots=True)
class StrictServer:
    """A server that checks signatures; only `access_key_id` with `secret` may use `bucket`."""

    endpoint: str
    bucket: str
    access_key_id: str
    secret: str


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def moto_server(log_path: Path) -> Iterator[str]:
    """Run `moto_server` on 127.0.0.1 (its default is every interface) and yield its URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    with log_path.open("wb") as log:  # a file, not a pipe: moto logs every request
        process = subprocess.Popen(
            [str(MOTO_SERVER), "-H", "127.0.0.1", "-p", str(port)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
    try:
        _wait_until_up(process, port, log_path)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _wait_until_up(process: subprocess.Popen[bytes], port: int, log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/moto-api/data.json")
            connection.getresponse().read()
            connection.close()
            return
        except OSError:
            time.sleep(0.05)
    output = log_path.read_text(encoding="utf-8", errors="replace")[-3000:]
    pytest.fail(
        f"moto_server on 127.0.0.1:{port} did not answer within {STARTUP_S:.0f} s "
        f"(exit status {process.poll()}):\n{output}",
        pytrace=False,
    )


@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of a moto server shared by the session (each test uses its own bucket)."""
    with moto_server(tmp_path_factory.mktemp("moto") / "moto.log") as url:
        yield url


@pytest.fixture(scope="session")
def s3_strict(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StrictServer]:
    """A second moto server that enforces IAM authentication, with one user and one bucket."""
    with moto_server(tmp_path_factory.mktemp("moto-strict") / "moto.log") as url:
        admin = {"aws_access_key_id": "AKIAADMINSETUP000000", "aws_secret_access_key": "x"}
        iam = boto3.client("iam", endpoint_url=url, region_name=REGION, **admin)
        iam.create_user(UserName="radio")
        allow_s3 = {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}
        policy = {"Version": "2012-10-17", "Statement": [allow_s3]}
        iam.put_user_policy(UserName="radio", PolicyName="s3", PolicyDocument=json.dumps(policy))
        key = iam.create_access_key(UserName="radio")["AccessKey"]
        bucket = f"strict-{uuid.uuid4().hex[:12]}"
        boto3.client("s3", endpoint_url=url, region_name=REGION, **admin).create_bucket(
            Bucket=bucket
        )
        # From now on every request must be signed by a key the server knows.
        connection = http.client.HTTPConnection("127.0.0.1", int(url.rpartition(":")[2]))
        connection.request(
            "POST", "/moto-api/reset-auth", body=b"0", headers={"Content-Type": "text/plain"}
        )
        assert connection.getresponse().status == 200
        connection.close()
        yield StrictServer(url, bucket, key["AccessKeyId"], key["SecretAccessKey"])


@pytest.fixture
def aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Dummy credentials in the environment: boto3's standard chain is how radiodesk gets them."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # never ask 169.254.169.254


@pytest.fixture
def s3_bucket(s3_endpoint: str, aws_credentials: None) -> Bucket:
    """A fresh, empty bucket with a unique name."""
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name=REGION)
    name = f"radiodesk-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=name)
    return Bucket(name, s3_endpoint, client)


@pytest.fixture
def s3_proxy(s3_endpoint: str) -> Iterator[FaultProxy]:
    """A recording, fault-injecting proxy in front of the S3 server."""
    proxy = FaultProxy(s3_endpoint)
    yield proxy
    proxy.close()


def configure_s3(settings: Settings, **storage: object) -> Settings:
    """Set these [storage] values in the show's radiodesk.toml; return the reloaded settings."""
    path = settings.root / CONFIG_FILE
    doc = tomlkit.parse(path.read_text(encoding="utf-8"))
    table = doc.setdefault("storage", tomlkit.table())
    for key, value in storage.items():
        table[key] = value
    path.write_text(tomlkit.dumps(doc), encoding="utf-8")
    return load_settings(settings.root)


@pytest.fixture
def s3_show(show: Settings, s3_bucket: Bucket, s3_proxy: FaultProxy) -> Settings:
    """The `show`, publishing to its own bucket through the recording proxy.

    Listeners' URLs (public_base_url) point at the server itself, path-style, at the prefix.
    """
    return configure_s3(
        show,
        backend="s3",
        bucket=s3_bucket.name,
        prefix=PREFIX,
        region=REGION,
        endpoint_url=s3_proxy.url,
        public_base_url=f"{s3_bucket.endpoint}/{s3_bucket.name}/{PREFIX}",
        addressing_style="path",
        acl="public-read",  # moto refuses anonymous GETs of private objects, like S3
    )
