"""Request and response bodies of the OSTF REST API (fuel-ostf's shapes), validated by pydantic."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from fuel_health.adapter.models import MAX_ID
from fuel_health.pytest_plugin.ostf import TEST_SETS

Id = Annotated[int, Field(ge=0, le=MAX_ID)]
SetId = Literal[tuple(TEST_SETS)]  # type: ignore[valid-type]  # fuel-ostf's fixed set ids
TestId = Annotated[str, StringConstraints(min_length=1, max_length=512, pattern=r"^\w+(\.\w+)*$")]
Text = Annotated[str, StringConstraints(max_length=255, pattern=r"^[^\x00-\x1f\x7f]*$")]


class _In(BaseModel):
    model_config = ConfigDict(extra="ignore")  # Fuel UI sends more (metadata.config) than we need


class OsCreds(_In):
    """OpenStack credentials to run with instead of the cluster config's (Fuel UI sends them)."""

    ostf_os_username: Text | None = None
    ostf_os_password: Text | None = None
    ostf_os_tenant_name: Text | None = None


class RunMetadata(_In):
    """Which cluster to run on, and optional credentials."""

    cluster_id: Id  # fuel-qa sends it as a string (fuel-qa mitaka-eol:core/models/fuel_client/ostf_client.py:71)
    ostf_os_access_creds: OsCreds | None = None


class RunRequest(_In):
    """Start a run of one test set; `tests` picks some of its tests (none or empty: all)."""

    model_config = ConfigDict(extra="ignore", json_schema_extra={"examples": [
        {"testset": "sanity", "tests": [], "metadata": {"cluster_id": 1}}]})

    testset: SetId
    tests: Annotated[list[TestId], Field(max_length=1000)] | None = None
    metadata: RunMetadata


class RunRequests(_In):
    """The same list, wrapped as fuel-ostf also accepted it."""

    objects: Annotated[list[RunRequest], Field(min_length=1, max_length=50)]


class UpdateMetadata(_In):
    """Optional credentials for a restart (Fuel UI sends them as on POST)."""

    ostf_os_access_creds: OsCreds | None = None


class RunUpdate(_In):
    """Stop a run, or restart some of its tests (none or empty: those it ran)."""

    id: Id
    status: Literal["stopped", "restarted"]
    tests: Annotated[list[TestId], Field(max_length=1000)] | None = None
    ostf_os_access_creds: OsCreds | None = None
    metadata: UpdateMetadata | None = None

    def creds(self) -> OsCreds | None:
        """Return the credentials given at top level or in metadata."""
        return self.ostf_os_access_creds or (self.metadata.ostf_os_access_creds if self.metadata else None)


class RunUpdates(_In):
    """The same list, wrapped."""

    objects: Annotated[list[RunUpdate], Field(min_length=1, max_length=50)]


PostBody = Annotated[list[RunRequest], Field(min_length=1, max_length=50)] | RunRequests
PutBody = Annotated[list[RunUpdate], Field(min_length=1, max_length=50)] | RunUpdates


class TestSetOut(BaseModel):
    """A test set the cluster sees: id and the description the UI shows."""

    id: str
    name: str


class TestOut(BaseModel):
    """A test: metadata, and in a run its status, message, failed step and seconds taken."""

    __test__ = False
    id: str
    testset: str
    name: str
    description: str
    duration: str | None
    message: str | None = None
    step: int | None = None
    status: str | None = None
    taken: float | None = None


class TestRunOut(BaseModel):
    """A run: status `running` or `finished`, its tests and their statuses."""

    __test__ = False
    id: int
    testset: str
    meta: dict[str, Any]
    cluster_id: int
    status: Literal["running", "finished"]
    started_at: str | None
    ended_at: str | None
    tests: list[TestOut]


class ClusterOut(BaseModel):
    """A cluster the adapter knows (for the built-in page)."""

    id: int
    name: str
    source: str
    tags: list[str]


class Problem(BaseModel):
    """An error: one line saying what is wrong (`message` for Fuel UI, `detail` the same)."""

    message: str
    detail: str
