"""A typo in a hydra override (``trainer.epoch=3``) named with the setting it was meant to be.

hydra's own message ("Key 'epoch' is not in struct") says what is wrong but not what is right;
this check composes the chosen config groups once and suggests the nearest real key.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

from omegaconf import DictConfig, OmegaConf

# hydra's command-line flags that take the next argument as their value
_FLAGS_WITH_VALUE = {
    "--cfg",
    "-c",
    "--package",
    "-p",
    "--info",
    "-i",
    "--config-path",
    "-cp",
    "--config-name",
    "-cn",
    "--config-dir",
    "-cd",
    "--experimental-rerun",
}


def setting_overrides(argv: Sequence[str]) -> list[str]:
    """The ``key=value`` overrides of a hydra command line, without its flags."""
    overrides, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg.startswith("-"):
            skip = arg in _FLAGS_WITH_VALUE
        else:
            overrides.append(arg)
    return overrides


def unknown_setting(config_dir: str, config_name: str, argv: Sequence[str]) -> str | None:
    """A message for the first override whose key is not in the composed config, or None
    (also when the overrides cannot be parsed: hydra then reports that itself)."""
    from hydra import compose, initialize_config_dir
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException

    try:
        parsed = OverridesParser.create().parse_overrides(setting_overrides(argv))
    except HydraException:
        return None
    from hydra.core.global_hydra import GlobalHydra

    with initialize_config_dir(config_dir=config_dir, version_base="1.3"):
        # a group no default selects (experiment, pseudo) is a group too, not a setting
        offered = GlobalHydra.instance().config_loader().list_groups("")
        groups = set(compose(config_name).keys()) | set(offered)
        chosen = [o for o in parsed if o.key_or_group in groups and "." not in o.key_or_group]
        if any(o.is_sweep_override() for o in chosen):
            return None  # a sweep over groups: each run's config differs; hydra checks each
        try:
            cfg = compose(config_name, overrides=[o.input_line for o in chosen if o.input_line])
        except HydraException:
            return None
    for override in parsed:
        key = override.key_or_group
        if override in chosen or override.is_add() or override.is_delete() or "/" in key:
            continue
        if key.startswith("hydra.") or key == "hydra":
            continue
        message = _missing_key(cfg, key)
        if message:
            return message
    return None


def _missing_key(cfg: DictConfig, key: str) -> str | None:
    node: object = cfg
    parts = key.split(".")
    done: list[str] = []
    for i, part in enumerate(parts):
        if not isinstance(node, DictConfig):
            return None  # inside a list or a value: hydra's own message is clear enough
        keys = [str(k) for k in node]  # `in` is False for a value left to set (???)
        if part not in keys:
            close = difflib.get_close_matches(part, keys, n=1, cutoff=0.6)
            where = ".".join(done) or "the config"
            if close:
                suggestion = ".".join([*done, close[0], *parts[i + 1 :]])
                return f"{key} is not a setting; did you mean {suggestion}?"
            return f"{key} is not a setting; {where} has: {', '.join(sorted(keys))}"
        node = OmegaConf.select(node, part, throw_on_missing=False)
        done.append(part)
    return None
