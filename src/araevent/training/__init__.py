"""Fine-tuning: plain config objects in, a trained model folder and dev/test figures out.

A run is a sequence of stages (:mod:`~araevent.training.run`): load and check the splits,
build the model, encode windows, fit with the Hugging Face ``Trainer`` (dynamic padding,
length-grouped batches, warm-up and decay, bf16 where the hardware has it, checkpoints chosen on
strict span F1 over dev documents decoded as the predictor decodes, early stopping), save the
model folder, and evaluate each split through the prediction path users import.
"""

from araevent.training.config import (
    AuxiliaryCorpus,
    DataConfig,
    ModelConfig,
    PseudoConfig,
    TrainerConfig,
)
from araevent.training.model import (
    PRETRAINED_LEARNING_RATE,
    build_model_and_tokenizer,
    position_limit,
    resume_checkpoint,
)
from araevent.training.outputs import TrainResult
from araevent.training.run import run_training
from araevent.training.splits import EncodedSplit, decode_split, encode_split
from araevent.training.trainer import TrainingDiverged

__all__ = [
    "PRETRAINED_LEARNING_RATE",
    "AuxiliaryCorpus",
    "DataConfig",
    "EncodedSplit",
    "ModelConfig",
    "PseudoConfig",
    "TrainResult",
    "TrainerConfig",
    "TrainingDiverged",
    "build_model_and_tokenizer",
    "decode_split",
    "encode_split",
    "position_limit",
    "resume_checkpoint",
    "run_training",
]
