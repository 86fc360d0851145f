# ru: the month as a word in every date format, 24-hour times (config/formats/__init__.py).
DATE_FORMAT = "j E Y г."
SHORT_DATE_FORMAT = DATE_FORMAT
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j E Y г., H:i"
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
MONTH_DAY_FORMAT = "j E"
