"""What an outgoing request's span says, by the OpenTelemetry HTTP client semantic conventions.

Library-neutral: the httpx and requests wrappers turn their request into a
:class:`RequestFacts` and their response or exception into the ending attributes.
Credentials and secret query values never reach a span: ``url.full`` has them replaced by
``REDACTED`` (the conventions' spelling), and error messages lose the same values.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import SplitResult, unquote_plus, urlsplit, urlunsplit

from opentelemetry.semconv.attributes.http_attributes import HTTP_REQUEST_METHOD, HTTP_REQUEST_METHOD_ORIGINAL
from opentelemetry.semconv.attributes.server_attributes import SERVER_ADDRESS, SERVER_PORT
from opentelemetry.semconv.attributes.url_attributes import URL_FULL

from instrumentation.redaction import Redactor

#: How the conventions spell a removed credential or query value in ``url.full``.
REDACTED = "REDACTED"
#: Query parameters the conventions name as secret (matched case-insensitively, exactly).
CONVENTION_SECRET_PARAMS = frozenset(name.lower() for name in ("AWSAccessKeyId", "Signature", "sig", "X-Goog-Signature"))
#: Methods the conventions know; any other is reported as ``_OTHER``.
KNOWN_METHODS = frozenset(("CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "TRACE"))
OTHER_METHOD = "_OTHER"
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class RequestFacts:
    """What is known of a request before it is sent: its span's name and start attributes."""

    method: str
    address: str
    port: int
    url_full: str
    #: Values removed from ``url_full`` (password, user, secret query values), to scrub messages.
    secrets: tuple[str, ...] = ()
    original_method: str | None = None

    @property
    def span_name(self) -> str:
        return "HTTP" if self.method == OTHER_METHOD else self.method

    def attributes(self) -> dict[str, str | int]:
        attributes: dict[str, str | int] = {
            HTTP_REQUEST_METHOD: self.method,
            SERVER_ADDRESS: self.address,
            SERVER_PORT: self.port,
            URL_FULL: self.url_full,
        }
        if self.original_method is not None:
            attributes[HTTP_REQUEST_METHOD_ORIGINAL] = self.original_method
        return attributes

    def scrub(self, text: str) -> str:
        """``text`` (an error message) with every secret value of the URL replaced."""
        for secret in sorted(self.secrets, key=len, reverse=True):
            text = text.replace(secret, REDACTED)
        return text


class UrlRedactor:
    """Builds :class:`RequestFacts`, masking credentials and secret query parameters.

    A query parameter is secret when the conventions name it, or when ``names`` match it the
    way the logs' :class:`~instrumentation.redaction.Redactor` matches keys (``token`` masks
    ``access_token``).
    """

    def __init__(self, names: Iterable[str]) -> None:
        self.redactor = Redactor(names)

    def is_secret_param(self, name: str) -> bool:
        return name.lower() in CONVENTION_SECRET_PARAMS or self.redactor.is_secret(name)

    def facts(self, method: str, url: str, host: str | None = None, port: int | None = None) -> RequestFacts:
        """Facts of ``method url``; ``host``/``port`` when the library parsed them already."""
        parts = urlsplit(url)
        address = host if host is not None else (parts.hostname or "")
        if port is None:
            try:
                port = parts.port
            except ValueError:
                port = None
        if port is None:
            port = _DEFAULT_PORTS.get(parts.scheme.lower(), 0)
        redacted, secrets = self.redact(parts)
        known = method if method in KNOWN_METHODS else OTHER_METHOD
        return RequestFacts(
            method=known, address=address, port=port, url_full=redacted if redacted is not None else url,
            secrets=secrets, original_method=None if known == method else method,
        )

    def redact(self, parts: SplitResult) -> tuple[str | None, tuple[str, ...]]:
        """The URL with secrets replaced (``None`` when it has none) and the values replaced."""
        secrets: list[str] = []
        netloc = parts.netloc
        userinfo, at, hostport = netloc.rpartition("@")
        if at:
            user, colon, password = userinfo.partition(":")
            secrets += [value for value in (user, password) if value]
            netloc = f"{REDACTED}:{REDACTED}@{hostport}" if colon else f"{REDACTED}@{hostport}"
        query, query_secrets = _redact_query(parts.query, self.is_secret_param)
        secrets += query_secrets
        if not secrets:
            return None, ()
        # Decoded forms too: a library may quote the URL differently in its messages.
        secrets += [unquote_plus(value) for value in secrets]
        return urlunsplit(parts._replace(netloc=netloc, query=query)), tuple(dict.fromkeys(secrets))


def _redact_query(query: str, is_secret: Callable[[str], bool]) -> tuple[str, list[str]]:
    if not query:
        return query, []
    secrets: list[str] = []
    items = []
    for item in query.split("&"):
        name, equals, value = item.partition("=")
        if equals and value and is_secret(unquote_plus(name)):
            secrets.append(value)
            item = f"{name}={REDACTED}"
        items.append(item)
    return "&".join(items), secrets


def error_type(error: BaseException) -> str:
    """The conventions' ``error.type`` of an exception: its fully qualified class name."""
    cls = type(error)
    module = cls.__module__
    return cls.__qualname__ if module in ("builtins", "__main__") else f"{module}.{cls.__qualname__}"


_PROTOCOLS = {"HTTP/0.9": "0.9", "HTTP/1.0": "1.0", "HTTP/1.1": "1.1", "HTTP/2": "2", "HTTP/2.0": "2", "HTTP/3": "3"}


def protocol_version(http_version: str | int | None) -> str | None:
    """``network.protocol.version`` from ``"HTTP/1.1"`` (httpx) or ``11`` (urllib3)."""
    if isinstance(http_version, int):
        major, minor = divmod(http_version, 10)
        return f"{major}.{minor}" if major < 2 else str(major)
    if http_version:
        return _PROTOCOLS.get(http_version.upper())
    return None
