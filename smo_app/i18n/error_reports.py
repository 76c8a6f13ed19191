"""The owner's error reports (OP2)."""

RU = {
    "errors.repeats": "Повторялась {count} раз(а) с {since} UTC.",
}

EN = {
    "errors.repeats": "Happened {count} times since {since} UTC.",
}
