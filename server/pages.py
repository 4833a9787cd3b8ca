"""Blueprint of this concern (placeholder until implemented)."""

from flask import Blueprint

bp = Blueprint("pages", __name__)
