import pytest

from araevent import LabelSchema


def test_default_schema_tags_and_ids() -> None:
    schema = LabelSchema()
    assert schema.labels == ("ACTOR", "PLACE", "DATE", "TRIGGER")
    assert schema.tags[:3] == ("O", "B-ACTOR", "I-ACTOR")
    assert schema.num_tags == 9
    assert schema.label2id["I-TRIGGER"] == 8
    assert schema.id2label[schema.begin_id("DATE")] == "B-DATE"
    assert schema.id2label[schema.inside_id("DATE")] == "I-DATE"


def test_schema_round_trips_through_model_tags() -> None:
    schema = LabelSchema(("PERS", "ORG", "LOC", "MISC"))
    assert LabelSchema.from_tags(list(schema.id2label.values())) == schema


@pytest.mark.parametrize("labels", [(), ("A", "A"), ("O",), ("B-X",), ("has space",)])
def test_invalid_schemas_are_rejected(labels: tuple[str, ...]) -> None:
    with pytest.raises(ValueError):
        LabelSchema(labels)
