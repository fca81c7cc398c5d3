"""The shapes of the Kibana saved objects obscode writes, as Kibana 8's saved-objects import
reads them: one object per NDJSON line, ``index-pattern`` (a data view) and ``search`` (a
Discover saved search).

Typed in from Kibana's saved-object type definitions (the data view attributes and the
``search`` attributes schema of 8.8 and later) and its export format. Every model forbids
extra keys, so a misspelt attribute is an error here rather than an object Kibana imports and
then ignores. The JSON-in-a-string attributes (``searchSourceJSON``, ``fieldFormatMap``) are
parsed and checked too.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

#: The Kibana release whose saved-object core format the objects declare; imports into it
#: and every later 8.x migrate them forward.
CORE_MIGRATION_VERSION = "8.8.0"
#: Each type's migration version: the last migration of both types is 8.0.0's.
TYPE_MIGRATION_VERSION = "8.0.0"
#: The reference name a saved search uses for its data view (Kibana's own name for it).
SEARCH_INDEX_REF = "kibanaSavedObjectMeta.searchSourceJSON.index"


class Shape(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Reference(Shape):
    """One object another object points at, by type and id."""

    name: str
    type: Literal["index-pattern", "search"]
    id: str


class UrlFormatParams(Shape):
    urlTemplate: str
    labelTemplate: str = "{{value}}"


class UrlFormat(Shape):
    """Kibana's ``url`` field format: the value shown as a link."""

    id: Literal["url"]
    params: UrlFormatParams


class DataViewAttributes(Shape):
    """``index-pattern`` attributes (Kibana calls the object a data view)."""

    title: str = Field(min_length=1)
    name: str = Field(min_length=1)
    timeFieldName: str = Field(min_length=1)
    #: Lets the view exist before the first document: the data stream appears with it.
    allowNoIndex: bool = False
    #: JSON string: ``{field: format}``.
    fieldFormatMap: str = "{}"

    @field_validator("fieldFormatMap")
    @classmethod
    def _formats(cls, value: str) -> str:
        for field, spec in json.loads(value).items():
            if not field:
                raise ValueError("fieldFormatMap has an empty field name")
            UrlFormat.model_validate(spec)
        return value

    def formats(self) -> dict[str, UrlFormat]:
        return {field: UrlFormat.model_validate(spec) for field, spec in json.loads(self.fieldFormatMap).items()}


class Query(Shape):
    query: str
    language: Literal["kuery", "lucene"]


class SearchSource(Shape):
    """The parsed ``searchSourceJSON`` of a saved search."""

    query: Query
    filter: list[Any] = Field(default_factory=list)
    indexRefName: Literal["kibanaSavedObjectMeta.searchSourceJSON.index"]


class SavedObjectMeta(Shape):
    searchSourceJSON: str

    @field_validator("searchSourceJSON")
    @classmethod
    def _source(cls, value: str) -> str:
        SearchSource.model_validate_json(value)
        return value

    def source(self) -> SearchSource:
        return SearchSource.model_validate_json(self.searchSourceJSON)


class SearchAttributes(Shape):
    """``search`` attributes: what Discover shows, sorted how, over which query."""

    title: str = Field(min_length=1)
    description: str = ""
    columns: list[str]
    sort: list[tuple[str, Literal["asc", "desc"]]]
    grid: dict[str, Any] = Field(default_factory=dict)
    hideChart: bool = False
    #: The histogram's breakdown: one bar colour per value of this field.
    breakdownField: str | None = None
    isTextBasedQuery: bool = False
    kibanaSavedObjectMeta: SavedObjectMeta

    def fields(self) -> list[str]:
        """Every field of the data view this search names (columns, sort, breakdown)."""
        named = [*self.columns, *(field for field, _ in self.sort)]
        return named + ([self.breakdownField] if self.breakdownField else [])


class SavedObject(Shape):
    """One line of the NDJSON file, as ``POST /api/saved_objects/_import`` takes it."""

    type: Literal["index-pattern", "search"]
    id: str = Field(min_length=1)
    attributes: DataViewAttributes | SearchAttributes
    references: list[Reference] = Field(default_factory=list)
    #: Kibana 8.10+ exports write it; left out, the import takes ``false``.
    managed: bool | None = None
    coreMigrationVersion: str = CORE_MIGRATION_VERSION
    typeMigrationVersion: str = TYPE_MIGRATION_VERSION

    @model_validator(mode="before")
    @classmethod
    def _attributes_of_type(cls, data: Any) -> Any:
        # Pick the attribute shape from ``type``, so a search's attributes are never read as a data view's.
        if isinstance(data, dict) and isinstance(data.get("attributes"), dict):
            shape = {"index-pattern": DataViewAttributes, "search": SearchAttributes}.get(data.get("type"))
            if shape is not None:
                data = {**data, "attributes": shape.model_validate(data["attributes"])}
        return data

    @model_validator(mode="after")
    def _references(self) -> "SavedObject":
        if isinstance(self.attributes, SearchAttributes):
            names = {ref.name for ref in self.references if ref.type == "index-pattern"}
            wanted = self.attributes.kibanaSavedObjectMeta.source().indexRefName
            if wanted not in names:
                raise ValueError(f"saved search {self.id} names data view reference {wanted!r}, "
                                 "which its references do not hold")
        elif self.references:
            raise ValueError(f"data view {self.id} must reference no other object")
        return self


def parse_ndjson(content: bytes) -> list[SavedObject]:
    """Every line of a saved-objects file as a checked :class:`SavedObject`; then every
    reference must point at an object of the file (the import would fail on a missing one)."""
    objects = [SavedObject.model_validate_json(line) for line in content.decode("utf-8").splitlines() if line]
    ids = {(obj.type, obj.id) for obj in objects}
    for obj in objects:
        for ref in obj.references:
            if (ref.type, ref.id) not in ids:
                raise ValueError(f"{obj.type} {obj.id} references {ref.type} {ref.id}, which the file does not hold")
    return objects
