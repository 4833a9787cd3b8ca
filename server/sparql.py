"""Blueprint of this concern (placeholder until implemented)."""

from flask import Blueprint

bp = Blueprint("sparql", __name__)
