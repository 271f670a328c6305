"""Label schema: the span labels a model predicts and the BIO tag ids it is trained on."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

DEFAULT_LABELS: tuple[str, ...] = ("ACTOR", "PLACE", "DATE", "TRIGGER")


@dataclass(frozen=True)
class LabelSchema:
    """An ordered set of span labels.

    Tag ids are stable for a given label order: ``O`` is 0, then ``B-X``/``I-X`` pairs in label
    order. That ordering is what gets written into a model's ``id2label``, so changing the order
    of ``labels`` changes the meaning of a trained model's outputs.
    """

    labels: tuple[str, ...] = DEFAULT_LABELS

    def __post_init__(self) -> None:
        labels = tuple(self.labels)
        if not labels:
            raise ValueError("a label schema needs at least one label")
        for label in labels:
            if not label or label == "O" or "-" in label[:2] or any(c.isspace() for c in label):
                raise ValueError(f"invalid label name {label!r}")
        if len(set(labels)) != len(labels):
            raise ValueError(f"duplicate labels in {labels}")
        object.__setattr__(self, "labels", labels)

    @classmethod
    def from_labels(cls, labels: Iterable[str]) -> LabelSchema:
        return cls(tuple(labels))

    @property
    def tags(self) -> tuple[str, ...]:
        """BIO (IOB2) tags in id order."""
        return ("O", *(f"{prefix}-{label}" for label in self.labels for prefix in "BI"))

    @property
    def id2label(self) -> dict[int, str]:
        return dict(enumerate(self.tags))

    @property
    def label2id(self) -> dict[str, int]:
        return {tag: i for i, tag in enumerate(self.tags)}

    @property
    def num_tags(self) -> int:
        return 1 + 2 * len(self.labels)

    def __contains__(self, label: object) -> bool:
        return label in self.labels

    def begin_id(self, label: str) -> int:
        return 1 + 2 * self.labels.index(label)

    def inside_id(self, label: str) -> int:
        return 2 + 2 * self.labels.index(label)

    @classmethod
    def from_tags(cls, tags: Sequence[str]) -> LabelSchema:
        """Rebuild a schema from a model's ``id2label`` values (IOB2 tags in id order)."""
        if not tags or tags[0] != "O":
            raise ValueError(f"tag list must start with 'O', got {list(tags)[:3]}")
        labels = [tag[2:] for tag in tags[1:] if tag.startswith("B-")]
        schema = cls(tuple(labels))
        if tuple(tags) != schema.tags:
            raise ValueError(f"tags {list(tags)} are not in araevent's order {list(schema.tags)}")
        return schema
