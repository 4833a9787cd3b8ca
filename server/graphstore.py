"""Blueprint of this concern (placeholder until implemented)."""

from flask import Blueprint

bp = Blueprint("graphstore", __name__)
