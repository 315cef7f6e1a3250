"""Optional bearer-token authentication (PICHORD_API_TOKEN).

Writes (submitting, cancelling) need the token once it is set; reads need it too when
PICHORD_API_TOKEN_READS is true. The host's details, /workers and /metrics need it as well
whenever the API is reachable beyond loopback. /health and /ready stay open for probes.
"""

import secrets
from typing import Annotated

from fastapi import Depends, HTTPException, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.deps import SettingsDep
from config import Settings

_bearer = HTTPBearer(
    auto_error=False, description="The value of PICHORD_API_TOKEN, when the service sets one"
)
CredentialsDep = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def _check(settings: Settings, credentials: HTTPAuthorizationCredentials | None) -> None:
    if settings.api_token is None:
        return
    if credentials is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "this endpoint needs 'Authorization: Bearer <token>' (the service sets "
            "PICHORD_API_TOKEN)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    expected = settings.api_token.get_secret_value().encode()
    if not secrets.compare_digest(credentials.credentials.encode(), expected):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "the bearer token is not accepted here")


def require_writer(settings: SettingsDep, credentials: CredentialsDep) -> None:
    _check(settings, credentials)


def require_reader(settings: SettingsDep, credentials: CredentialsDep) -> None:
    if settings.api_token_reads:
        _check(settings, credentials)


def require_host_reader(settings: SettingsDep, credentials: CredentialsDep) -> None:
    """Hostname, addresses, kernel, workers: nobody else's business once other machines
    can reach the API, though task reads may stay open for a shared dashboard."""
    if settings.api_token_reads or settings.exposed:
        _check(settings, credentials)


WriterDep = Depends(require_writer)
ReaderDep = Depends(require_reader)
HostReaderDep = Depends(require_host_reader)
