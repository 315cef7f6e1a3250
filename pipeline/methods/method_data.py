"""A method's own data: its plan, its chunks' details and its certificate, each a pydantic
model of the method's folder that the store keeps as opaque JSON (as rq keeps ``job.meta``).

The store validates only the records around them; a method reads its data through its model
(``Model.of(record)``), which validates it, and writes it back dumped (``saved_in``), so
nothing else pokes at the dicts.
"""

from typing import Any, Self

from pydantic import BaseModel, ConfigDict, ValidationError

from storage import ChunkRecord, JobRecord
from storage.records import Certificate


class MethodDataError(ValueError):
    """Data stored for a method that its model does not accept: another method's, or corrupt."""

    def __init__(self, model: type[BaseModel], what: str, error: ValidationError) -> None:
        super().__init__(f"{what} is not a {model.__name__}: {error}")


class MethodData(BaseModel):
    # Unknown keys are left out: data stored by a version with more fields still reads.
    model_config = ConfigDict(extra="ignore", frozen=True)

    def dumped(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    @classmethod
    def _read(cls, data: dict[str, Any], what: str) -> Self:
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise MethodDataError(cls, what, exc) from None


class PlanParams(MethodData):
    """The numbers of a job's current round beyond ``terms_total`` (``JobRecord.plan``)."""

    @classmethod
    def of(cls, job: JobRecord) -> Self:
        return cls._read(job.plan, f"the plan of job {job.id} ({job.method})")


class ChunkDetails(MethodData):
    """What a chunk has computed so far (``ChunkRecord.details``). The fields of the class a
    method names as its ``chunk_public`` model are shown in the API's chunk list."""

    @classmethod
    def of(cls, record: ChunkRecord) -> Self:
        return cls._read(record.details, f"the details of chunk {record.index}")

    def saved_in(self, record: ChunkRecord, **changes: Any) -> ChunkRecord:
        """``record`` holding these details, with other fields changed as given."""
        return record.model_copy(update={"details": self.dumped(), **changes})


class CertificateDetails(MethodData):
    """A method's own figures in a job's certificate (``Certificate.details``)."""

    @classmethod
    def of(cls, certificate: Certificate) -> Self:
        return cls._read(certificate.details, "a certificate")

    def certificate(self, terms: int, lower: str, upper: str, rounds: int) -> Certificate:
        """The certificate with the figures every method gives, and these."""
        return Certificate(
            terms=terms, lower=lower, upper=upper, rounds=rounds, details=self.dumped()
        )


class NoPlanParams(PlanParams):
    """A method whose plan is ``terms_total`` alone."""


class NoChunkDetails(ChunkDetails):
    """No chunk details shown (the default ``chunk_public``)."""
