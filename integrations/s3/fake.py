"""A fake S3 (path-style REST: ``PUT``/``GET``/``HEAD``/``DELETE /<bucket>/<key>``, and
``GET /<bucket>?list-type=2&prefix=…`` — ListObjectsV2, one page) for tests: it
checks what a real S3 checks first — a SigV4 ``Authorization`` header for the right access key and
``x-amz-content-sha256`` matching the body — and answers S3's XML errors. Serve it with
``integrations.fakeserver.LocalServer(FakeS3(...).handle)`` (boto3 talks real HTTP)."""
from __future__ import annotations

import hashlib
import threading
from xml.sax.saxutils import escape

import httpx

ERROR = ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{message}</Message>'
         '<Resource>{resource}</Resource><RequestId>fake</RequestId></Error>')


class FakeS3:
    def __init__(self, *, bucket: str = "shop-images", access_key: str = "fake-access-key") -> None:
        self.bucket = bucket
        self.access_key = access_key
        self.objects: dict[str, tuple[bytes, dict[str, str]]] = {}
        self.calls: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def _error(self, status: int, code: str, message: str, resource: str) -> httpx.Response:
        return httpx.Response(status, content=ERROR.format(code=code, message=message, resource=resource).encode(),
                              headers={"Content-Type": "application/xml"})

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        with self._lock:
            self.calls.append((request.method, path))
        auth = request.headers.get("Authorization", "")
        if not auth.startswith(f"AWS4-HMAC-SHA256 Credential={self.access_key}/"):
            return self._error(403, "InvalidAccessKeyId", "The access key Id you provided does not exist.", path)
        parts = path.lstrip("/").split("/", 1)
        if parts[0] != self.bucket:
            return self._error(404, "NoSuchBucket", "The specified bucket does not exist", path)
        key = parts[1] if len(parts) > 1 else ""
        if request.method == "GET" and not key:
            return self._list(request.url.params.get("prefix", ""))
        if request.method == "PUT":
            body = request.content
            declared = request.headers.get("x-amz-content-sha256", "")
            if declared != "UNSIGNED-PAYLOAD" and declared != hashlib.sha256(body).hexdigest():
                return self._error(400, "XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header "
                                   "does not match what was computed.", path)
            meta = {k.lower(): v for k, v in request.headers.items() if k.lower() in ("content-type", "cache-control")}
            with self._lock:
                self.objects[key] = (body, meta)
            return httpx.Response(200, headers={"ETag": f'"{hashlib.md5(body).hexdigest()}"'})  # noqa: S324 - S3's ETag
        with self._lock:
            found = self.objects.get(key)
        if request.method == "DELETE":
            with self._lock:
                self.objects.pop(key, None)
            return httpx.Response(204)
        if found is None:
            return self._error(404, "NoSuchKey", "The specified key does not exist.", path)
        body, meta = found
        headers = {**meta, "ETag": f'"{hashlib.md5(body).hexdigest()}"', "Content-Length": str(len(body))}  # noqa: S324
        return httpx.Response(200, content=b"" if request.method == "HEAD" else body, headers=headers)

    def _list(self, prefix: str) -> httpx.Response:
        with self._lock:
            keys = sorted((k, len(v[0])) for k, v in self.objects.items() if k.startswith(prefix))
        items = "".join(f"<Contents><Key>{escape(k)}</Key><Size>{size}</Size>"
                        f"<LastModified>2026-12-07T00:00:00.000Z</LastModified></Contents>" for k, size in keys)
        body = ('<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
                f"<Name>{escape(self.bucket)}</Name><Prefix>{escape(prefix)}</Prefix><KeyCount>{len(keys)}</KeyCount>"
                f"<MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>{items}</ListBucketResult>")
        return httpx.Response(200, content=body.encode(), headers={"Content-Type": "application/xml"})
