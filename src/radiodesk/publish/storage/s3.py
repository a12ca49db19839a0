"""S3 and S3-compatible stores (AWS, MinIO, R2, Yandex, B2): the only user of boto3.

Credentials come only from boto3's own chain (environment, shared files, profiles); this module
never reads, logs or prints them. Retries are botocore's retry modes; multipart is s3transfer's.
The client is botocore's own: boto3's transfers (s3transfer) load only when a file is sent or
fetched, since a publish with nothing to send only lists.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import botocore.exceptions
import botocore.session
import botocore.utils
from botocore.config import Config

from radiodesk.errors import StorageError
from radiodesk.publish.storage.base import ObjectInfo, prefix_of, s3_identity
from radiodesk.show.settings import StorageSettings

if TYPE_CHECKING:
    from boto3.s3.transfer import TransferConfig

log = logging.getLogger(__name__)

MIB = 1 << 20
# Files above 16 MiB go up as parallel multipart uploads of 8 MiB parts (a TransferConfig).
TRANSFER: dict[str, int] = {
    "multipart_threshold": 16 * MIB,
    "multipart_chunksize": 8 * MIB,
    "max_concurrency": 8,
}
DELETE_BATCH = 1000  # DeleteObjects takes at most 1000 keys

# S3 error code -> (what went wrong, what to do); codes from the S3 API reference.
_ERRORS: dict[str, tuple[str, str]] = {
    "NoSuchBucket": (
        "the bucket {bucket!r} does not exist",
        "create it, or fix [storage] bucket / endpoint_url in radiodesk.toml",
    ),
    "InvalidAccessKeyId": (
        "the store does not know the access key in use",
        "check AWS_ACCESS_KEY_ID / the profile's credentials",
    ),
    "SignatureDoesNotMatch": (
        "the store rejected the request signature (wrong secret key?)",
        "check AWS_SECRET_ACCESS_KEY / the profile's credentials",
    ),
    "ExpiredToken": (
        "the session credentials have expired",
        "renew them (e.g. `aws sso login`) and publish again",
    ),
    "AccessDenied": (
        "access to the bucket {bucket!r} was denied",
        "grant these credentials s3:ListBucket, s3:PutObject and s3:DeleteObject",
    ),
    "AccessControlListNotSupported": (
        "the bucket does not accept ACLs",
        "remove `acl` from [storage] in radiodesk.toml",
    ),
}


def open_s3(settings: StorageSettings, public_base_url: str) -> S3Storage:
    """Return an S3Storage for the configured bucket, with botocore's retries."""
    try:
        core = botocore.session.get_session()  # a new one, ours alone
        core.get_component("response_parser_factory").set_parser_defaults(
            timestamp_parser=_parse_timestamp
        )
        # What boto3.Session(profile_name=..., region_name=...) would set.
        if settings.profile:
            core.set_config_variable("profile", settings.profile)
        if settings.region:
            core.set_config_variable("region", settings.region)
        client = core.create_client(
            "s3",
            endpoint_url=settings.endpoint_url or None,
            config=Config(
                # "total_max_attempts" counts the first try, like AWS_MAX_ATTEMPTS;
                # the dict key "max_attempts" would count retries only (one attempt too many).
                retries={"mode": settings.retry_mode, "total_max_attempts": settings.max_attempts},
                s3={"addressing_style": settings.addressing_style},
                connect_timeout=10,
                read_timeout=60,
            ),
        )
    except botocore.exceptions.ProfileNotFound as exc:
        raise StorageError(
            f"the AWS profile {settings.profile!r} does not exist",
            hint="fix [storage] profile, or add it to ~/.aws/config",
        ) from exc
    return S3Storage(
        client,
        settings.bucket,
        base_url=settings.public_base_url or public_base_url,
        prefix=settings.prefix,
        acl=settings.acl or None,
        endpoint=settings.endpoint_url or "aws",
    )


def _parse_timestamp(value: Any) -> Any:
    """Parse S3's ISO 8601 times at C speed, anything else with botocore's own parser.

    botocore's default (dateutil) costs about 0.2 ms a time: a third of the CPU of listing a
    bucket of 4,000 objects, each with its LastModified. Both give an aware datetime.
    """
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            parsed = datetime.fromisoformat(value)
            if parsed.tzinfo is not None:
                return parsed
    return botocore.utils.parse_timestamp(value)


class S3Storage:
    """Objects under `prefix` in one bucket; `base_url` is where listeners fetch them."""

    def __init__(
        self,
        client: Any,
        bucket: str,
        *,
        base_url: str,
        prefix: str = "",
        acl: str | None = None,
        endpoint: str = "aws",
        transfer: TransferConfig | None = None,  # None: TRANSFER
    ) -> None:
        self._client = client
        self.bucket = bucket
        self.prefix = prefix_of(prefix)
        self.base_url = base_url.rstrip("/")
        self.acl = acl
        self.endpoint = endpoint
        self.transfer = transfer

    @property
    def identity(self) -> str:
        """Return endpoint, bucket and prefix: what a publish is remembered against."""
        return s3_identity(self.endpoint, self.bucket, self.prefix)

    def put(
        self,
        path: Path,
        key: str,
        content_type: str,
        cache_control: str,
        on_bytes: Callable[[int], None] | None = None,
    ) -> str:
        """Upload the file (multipart above the threshold); S3 makes the new version atomic."""
        from boto3.exceptions import S3UploadFailedError
        from boto3.s3.transfer import S3Transfer, TransferConfig

        extra = {"ContentType": content_type, "CacheControl": cache_control}
        if self.acl:
            extra["ACL"] = self.acl
        config = self.transfer or TransferConfig(**TRANSFER)
        with self._translated(key), S3Transfer(self._client, config) as transfer:
            try:
                transfer.upload_file(
                    str(path), self.bucket, self.prefix + key, callback=on_bytes, extra_args=extra
                )
            except S3UploadFailedError as exc:
                raise _describe(exc, self, key) from exc
        return self.url(key)

    def list(self, prefix: str = "") -> dict[str, ObjectInfo]:
        """List every object under the store's prefix in one paginated pass."""
        found: dict[str, ObjectInfo] = {}
        for page in self.list_pages(prefix):
            found.update(page)
        return found

    def list_pages(self, prefix: str = "") -> Iterator[dict[str, ObjectInfo]]:
        """Yield the listing a response (up to 1,000 keys) at a time."""
        paginator = self._client.get_paginator("list_objects_v2")
        with self._translated():
            for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + prefix):
                yield {
                    key: ObjectInfo(key, int(item["Size"]))
                    for item in page.get("Contents", ())
                    for key in (str(item["Key"])[len(self.prefix) :],)
                }

    def delete(self, keys: Sequence[str]) -> None:
        """Delete objects in batches of 1000; missing keys are fine."""
        for start in range(0, len(keys), DELETE_BATCH):
            batch = [{"Key": self.prefix + k} for k in keys[start : start + DELETE_BATCH]]
            with self._translated():
                response = self._client.delete_objects(
                    Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True}
                )
            errors = response.get("Errors") or []
            if errors:
                first = errors[0]
                raise StorageError(
                    f"the store refused to delete {first.get('Key')}: {first.get('Message')}"
                )

    def download(self, key: str, path: Path) -> None:
        """Fetch the object into a local file."""
        from boto3.s3.transfer import S3Transfer

        with self._translated(key), S3Transfer(self._client) as transfer:
            transfer.download_file(self.bucket, self.prefix + key, str(path))

    def url(self, key: str) -> str:
        """Return the public URL of `key`."""
        return f"{self.base_url}/{quote(key)}"

    @contextlib.contextmanager
    def _translated(self, key: str | None = None) -> Iterator[None]:
        """Turn botocore's exceptions into one-line StorageErrors for producers."""
        try:
            yield
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
            raise _describe(exc, self, key) from exc


def _describe(exc: Exception, storage: S3Storage, key: str | None) -> StorageError:
    from boto3.exceptions import S3UploadFailedError  # an error: no hurry

    where = f"s3://{storage.bucket}/{storage.prefix}{key or ''}"
    if isinstance(exc, S3UploadFailedError):
        # boto3 re-raises the ClientError inside a message that names our temp file;
        # the ClientError itself is its __context__ and carries the code and status.
        if not isinstance(exc.__context__, botocore.exceptions.ClientError):
            code = next((c for c in _ERRORS if c in str(exc)), "")
            return _from_code(code, storage, where, str(exc))
        exc = exc.__context__
    if isinstance(exc, botocore.exceptions.ClientError):
        code = str(exc.response.get("Error", {}).get("Code", ""))
        message = str(exc.response.get("Error", {}).get("Message", "")) or code
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        return _from_code(code, storage, where, message, status)
    if isinstance(exc, botocore.exceptions.NoCredentialsError):
        return StorageError(
            "no credentials for the S3 store were found",
            hint="set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or [storage] profile",
        )
    if isinstance(
        exc, botocore.exceptions.EndpointConnectionError | botocore.exceptions.ConnectTimeoutError
    ):
        return StorageError(
            f"cannot reach the S3 endpoint {storage.endpoint}",
            hint="check [storage] endpoint_url and the network",
        )
    return StorageError(f"S3 request for {where} failed: {exc}")


def _from_code(
    code: str, storage: S3Storage, where: str, detail: str, status: int = 0
) -> StorageError:
    if code in _ERRORS:
        what, hint = _ERRORS[code]
        return StorageError(what.format(bucket=storage.bucket) + f" ({where})", hint=hint)
    if status >= 500:  # botocore has already retried: the store is down or overloaded
        return StorageError(
            f"the S3 store failed on {where}: {detail}",
            hint="publish again later: the rerun completes what this one left undone",
        )
    return StorageError(f"the S3 store refused {where}: {detail}")
