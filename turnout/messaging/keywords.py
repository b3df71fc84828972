"""Reply keywords that carriers and the law give special meaning, in English and Spanish."""

from __future__ import annotations

import re
import unicodedata

STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT", "OPT OUT",
              "NO MAS", "PARAR", "BASTA", "ALTO", "DETENER", "CANCELAR", "DEJAR"}
START_WORDS = {"START", "UNSTOP", "YES START", "SUBSCRIBE", "COMENZAR", "INICIAR"}
HELP_WORDS = {"HELP", "INFO", "AYUDA"}
# Keywords US carriers (and Twilio's default handling) already answer themselves; answering
# them again sends a second reply the person did not ask for.
CARRIER_ANSWERED = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "START", "UNSTOP", "YES START",
                    "HELP", "INFO"}


def normalize(body: str) -> str:
    """Upper case, accents dropped, punctuation and extra spaces gone: "¡No más!" -> "NO MAS"."""
    text = unicodedata.normalize("NFKD", body)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"[^\w\s]", " ", text.upper())
    return " ".join(text.split())


def classify(body: str) -> str | None:
    """"stop", "start", "help" or None for an ordinary reply. Only the whole message counts."""
    word = normalize(body)
    if word in STOP_WORDS:
        return "stop"
    if word in START_WORDS:
        return "start"
    if word in HELP_WORDS:
        return "help"
    return None
