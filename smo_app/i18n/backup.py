"""Backups and restore: their refusals."""

RU = {
    "backup.unknown_format": "Это не резервная копия магазина.",
    "backup.passphrase_needed": "Копия зашифрована — укажите пароль копии.",
    "backup.passphrase_wrong": "Пароль копии не подходит, или файл повреждён.",
    "backup.unreadable": "Файл копии не читается.",
    "backup.damaged": "Файл копии повреждён или обрезан — восстановление не начато, ничего не изменено.",
    "backup.newer_schema": "Копия сделана более новой версией программы — сначала обновите программу.",
    "backup.engine_mismatch": "Копия сделана с другой базой данных ({engine}), а восстановить её просят в {target}.",
    "backup.target_not_empty": "В базе уже есть данные — восстанавливать можно только в пустую базу (или с --force).",
    "backup.sqlite_memory": "База в памяти — копировать нечего.",
    "backup.pg_tools_missing": "Не установлена программа {tool} (клиент PostgreSQL).",
    "backup.dump_failed": "Не удалось выгрузить базу: {detail}",
    "backup.restore_failed": "Не удалось загрузить базу: {detail}",
    "backup.check_failed": "После восстановления данные не сошлись с описью копии (таблицы: {tables}).",
}

EN = {
    "backup.unknown_format": "This is not a backup of the shop.",
    "backup.passphrase_needed": "The backup is encrypted: give its passphrase.",
    "backup.passphrase_wrong": "The passphrase does not fit, or the file is damaged.",
    "backup.unreadable": "The backup file cannot be read.",
    "backup.damaged": "The backup file is damaged or truncated: nothing was restored or changed.",
    "backup.newer_schema": "The backup was made by a newer version of the program: update the program first.",
    "backup.engine_mismatch": "The backup is of another database ({engine}); the target is {target}.",
    "backup.target_not_empty": "The database already holds data: restore only into an empty one (or with --force).",
    "backup.sqlite_memory": "An in-memory database has nothing to back up.",
    "backup.pg_tools_missing": "{tool} (the PostgreSQL client) is not installed.",
    "backup.dump_failed": "Could not dump the database: {detail}",
    "backup.restore_failed": "Could not load the database: {detail}",
    "backup.check_failed": "After the restore the data did not match the backup's manifest (tables: {tables}).",
}
