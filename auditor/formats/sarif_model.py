"""Typed models of the part of SARIF 2.1.0 that azroute writes (OASIS `sarif-schema-2.1.0.json`).

Only the objects and properties azroute fills are modelled; names are SARIF's in camelCase on the
wire (`model_dump(by_alias=True, exclude_none=True)`), and unknown properties are refused, as the
schema refuses them (`additionalProperties: false`). The tests validate the output against the
published schema.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
Level = Literal["none", "note", "warning", "error"]


class SarifModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", alias_generator=to_camel, populate_by_name=True)


class Message(SarifModel):
    text: str


class MultiformatMessageString(SarifModel):
    text: str
    markdown: str | None = None


class ArtifactLocation(SarifModel):
    uri: str | None = None
    uri_base_id: str | None = None
    description: Message | None = None


class Region(SarifModel):
    start_line: int = Field(ge=1)


class PhysicalLocation(SarifModel):
    artifact_location: ArtifactLocation
    region: Region | None = None


class LogicalLocation(SarifModel):
    name: str | None = None
    fully_qualified_name: str | None = None
    kind: str | None = None


class Location(SarifModel):
    id: int | None = Field(None, ge=-1)
    physical_location: PhysicalLocation | None = None
    logical_locations: list[LogicalLocation] | None = None
    message: Message | None = None


class ReportingConfiguration(SarifModel):
    level: Level


class ReportingDescriptor(SarifModel):
    id: str
    name: str | None = None
    short_description: MultiformatMessageString | None = None
    full_description: MultiformatMessageString | None = None
    help_uri: str | None = None
    help: MultiformatMessageString | None = None
    default_configuration: ReportingConfiguration | None = None
    properties: dict[str, Any] | None = None


class ReportingDescriptorReference(SarifModel):
    id: str


class ToolComponent(SarifModel):
    name: str
    version: str | None = None
    semantic_version: str | None = None
    information_uri: str | None = None
    rules: list[ReportingDescriptor] | None = None


class Tool(SarifModel):
    driver: ToolComponent


class Suppression(SarifModel):
    kind: Literal["inSource", "external"]
    status: Literal["accepted", "underReview", "rejected"] | None = None
    justification: str | None = None
    properties: dict[str, Any] | None = None


class Result(SarifModel):
    rule_id: str
    rule_index: int | None = Field(None, ge=-1)
    level: Level
    message: Message
    locations: list[Location] | None = None
    related_locations: list[Location] | None = None
    partial_fingerprints: dict[str, str] | None = None
    suppressions: list[Suppression] | None = None
    baseline_state: Literal["new", "unchanged", "updated", "absent"] | None = None
    properties: dict[str, Any] | None = None


class Notification(SarifModel):
    message: Message
    level: Level | None = None
    descriptor: ReportingDescriptorReference | None = None
    locations: list[Location] | None = None
    properties: dict[str, Any] | None = None


class Invocation(SarifModel):
    execution_successful: bool
    tool_execution_notifications: list[Notification] | None = None
    properties: dict[str, Any] | None = None


class Run(SarifModel):
    tool: Tool
    invocations: list[Invocation] | None = None
    original_uri_base_ids: dict[str, ArtifactLocation] | None = None
    results: list[Result]
    properties: dict[str, Any] | None = None


class SarifLog(SarifModel):
    schema_uri: str = Field(SCHEMA_URI, alias="$schema")
    version: Literal["2.1.0"] = "2.1.0"
    runs: list[Run]

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)
