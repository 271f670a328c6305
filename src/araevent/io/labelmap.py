"""Label maps: from a corpus's own labels to the project schema.

A map is a plain mapping ``{source_label: target_label or None}``; ``None`` drops spans of that
label (and the drop is counted). Maps for the public corpora ship as YAML under
``araevent/label_maps/``, named by hydra data configs (``label_map: anercorp``) and the CLI alike.
They sit outside ``configs/`` because they are not hydra config groups.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml

from araevent.errors import DataFormatError


@dataclass(frozen=True)
class LabelMap(Mapping[str, "str | None"]):
    """An immutable source-to-target label mapping. Loaders keep a label that is one of the
    targets as it is; any other label absent from the map is unknown."""

    mapping: Mapping[str, str | None]
    name: str = "custom"

    def __post_init__(self) -> None:
        clean: dict[str, str | None] = {}
        for source, target in self.mapping.items():
            if target is not None and not isinstance(target, str):
                raise ValueError(f"label map {self.name}: target of {source!r} must be a string")
            clean[str(source)] = target or None
        object.__setattr__(self, "mapping", clean)

    def __getitem__(self, label: str) -> str | None:
        return self.mapping[label]

    def __iter__(self) -> Iterator[str]:
        return iter(self.mapping)

    def __len__(self) -> int:
        return len(self.mapping)

    @property
    def targets(self) -> tuple[str, ...]:
        """Target labels in first-seen order."""
        return tuple(dict.fromkeys(t for t in self.mapping.values() if t is not None))

    @classmethod
    def parse(cls, spec: str) -> LabelMap:
        """``"PERS=ACTOR,ORG=ACTOR,MISC="``: an empty target drops the label."""
        mapping: dict[str, str | None] = {}
        for item in filter(None, (part.strip() for part in spec.split(","))):
            source, sep, target = item.partition("=")
            if not sep or not source:
                raise ValueError(f"label map item {item!r} is not SOURCE=TARGET")
            mapping[source.strip()] = target.strip() or None
        return cls(mapping, name=spec)

    @classmethod
    def from_file(cls, path: str | Path) -> LabelMap:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise DataFormatError("a label map file must hold a mapping", path=path)
        return cls(data, name=Path(path).stem)

    @classmethod
    def builtin(cls, name: str) -> LabelMap:
        """One of the maps shipped with the package (see :func:`builtin_names`)."""
        source = resources.files("araevent") / "label_maps" / f"{name}.yaml"
        if not source.is_file():
            raise ValueError(f"no built-in label map {name!r}; known: {builtin_names()}")
        with resources.as_file(source) as path:
            return cls.from_file(path)

    @classmethod
    def resolve(cls, spec: str | Mapping[str, str | None] | LabelMap) -> LabelMap:
        """A map from a built-in name, a YAML path, an inline ``A=B,...`` spec or a mapping."""
        if isinstance(spec, LabelMap):
            return spec
        if isinstance(spec, Mapping):
            return cls(spec)
        if "=" in spec:
            return cls.parse(spec)
        if Path(spec).suffix in (".yaml", ".yml") or Path(spec).is_file():
            return cls.from_file(spec)
        return cls.builtin(spec)


def builtin_names() -> list[str]:
    folder = resources.files("araevent") / "label_maps"
    return sorted(p.name[: -len(".yaml")] for p in folder.iterdir() if p.name.endswith(".yaml"))
