"""Shared pydantic base: strict models whose errors name the object and field."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

from obscode.errors import DefinitionError, SourceLocation, caller_location


def _field_of(loc: tuple[Any, ...]) -> str | None:
    parts = [str(p) for p in loc if not isinstance(p, int)]
    return ".".join(parts) or None


def _clean(msg: str) -> str:
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            return msg[len(prefix):]
    return msg


def _known_check_ids(ids: list[str]) -> list[str]:
    from obscode.suppression import validate_check_ids  # checks import the models: resolved late

    return validate_check_ids(ids)


#: Check ids to suppress (``["catalog/metric", "catalog/label"]``), validated against the known checks.
CheckIds = Annotated[list[str], AfterValidator(_known_check_ids)]


class Model(BaseModel):
    """Base of every definition model.

    Unknown fields are errors; validation failures become :class:`DefinitionError`
    naming the object (``alert HighCpuUsage``), the field and what to do; and every
    object remembers the file and line where the user built it.
    """

    model_config = ConfigDict(extra="forbid", populate_by_name=True, validate_assignment=False)

    #: How errors name an object of this class, e.g. "alert", "receiver".
    kind: ClassVar[str] = ""
    #: Field holding the object's name, e.g. "alert", "name".
    name_field: ClassVar[str | None] = None

    #: Checks whose findings on this object, and on every object inside it, are suppressed
    #: (see docs/suppression.md). Never written to any output.
    ignore: CheckIds = Field(default_factory=list, exclude=True)

    _source: SourceLocation | None = PrivateAttr(default=None)
    #: What generated this object, when the user did not write it (``"slo"``: obscode.slo.expand).
    _generated_by: str = PrivateAttr(default="")

    def model_post_init(self, __context: Any) -> None:
        self._source = caller_location()

    @property
    def source(self) -> SourceLocation | None:
        return self._source

    @property
    def generated_by(self) -> str:
        """``""`` for an object the user built; else what generated it (``"slo"``)."""
        return self._generated_by

    @classmethod
    def describe(cls, data: Any) -> str:
        kind = cls.kind or cls.__name__
        if cls.name_field:
            name = data.get(cls.name_field) if isinstance(data, dict) else getattr(data, cls.name_field, None)
            if name:
                return f"{kind} {name}"
        return kind

    def __init__(self, /, **data: Any) -> None:
        # Model-level validators run outside the wrap validator below: name them here.
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise self.__class__._definition_error(exc, data) from None

    @classmethod
    def _definition_error(cls, exc: ValidationError, data: Any) -> DefinitionError:
        first = exc.errors(include_url=False)[0]
        field = _field_of(first["loc"])
        original = (first.get("ctx") or {}).get("error")
        if isinstance(original, FieldError):
            field = field or original.field
        if field:
            head, _, rest = field.partition(".")
            info = cls.model_fields.get(head)
            if info is not None and info.alias:
                field = info.alias + ("." + rest if rest else "")
        message = str(original) if isinstance(original, Exception) else _clean(first["msg"])
        if first["type"] == "extra_forbidden":
            allowed = ", ".join(sorted(f.alias or n for n, f in cls.model_fields.items()))
            message = f"unknown field; {cls.__name__} accepts: {allowed}"
        elif first["type"] == "missing":
            message = "is required"
        more = len(exc.errors()) - 1
        if more:
            message += f" (and {more} more problem{'s' if more > 1 else ''})"
        source = original.source if isinstance(original, FieldError) else None
        return DefinitionError(obj=cls.describe(data), field=field, message=message, source=source)

    @model_validator(mode="wrap")
    @classmethod
    def _name_the_object(cls, data: Any, handler: Any) -> Any:
        try:
            return handler(data)
        except ValidationError as exc:
            if isinstance(data, BaseModel) and not isinstance(data, cls):
                raise  # a union trying its members: let pydantic pick another
            raise cls._definition_error(exc, data) from None
        except DefinitionError as exc:
            if exc.obj != cls.describe(data):
                exc.within(cls.describe(data))
            raise


class FieldError(ValueError):
    """A model-level validation failure that belongs to one field; ``source`` is where the
    object at fault was defined, when that is another object than the one validating (the
    route naming a missing receiver, not the AlertmanagerConfig around it)."""

    def __init__(self, field: str, message: str, source: SourceLocation | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.source = source
