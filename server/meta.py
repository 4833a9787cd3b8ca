"""Blueprint of this concern (placeholder until implemented)."""

from flask import Blueprint

bp = Blueprint("meta", __name__)
