"""Named in PICHORD_METHOD_MODULES, this registers the toy method in the API and workers."""

from pipeline.methods import register
from tests.pipeline.methods.toy.method import TOY

register(TOY)
