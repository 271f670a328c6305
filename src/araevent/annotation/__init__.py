"""The annotation loop: which unlabelled documents to annotate next, and the tasks and
labelling config that annotation tools import (``araevent select``, ``araevent predict
--format labelstudio``, ``araevent labelstudio-config``)."""
