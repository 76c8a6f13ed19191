"""/admin/backups (owner): "back up now", the daily time, kept days, who gets the archive, the
passphrase, the off-site bucket (check connection), the history with downloads, and the logs. Thin: every handler calls a service through
:meth:`SessionState.call`."""
from __future__ import annotations

from typing import TypedDict

import reflex as rx

from smo_app.services.backup import offsite, runs, settings as backup_settings
from smo_app.state.session import SessionState, said, toast


class RunLine(TypedDict):
    id: int
    when: str
    kind: str
    status: str
    ok: bool
    failed: bool
    size: str
    duration: str
    contents: str
    sent: str
    downloadable: bool
    removed: bool
    error: str
    offsite: str  # "uploaded" / "not uploaded: why" / "" (no bucket then)
    upload_failed: bool


class OffsiteLine(TypedDict):
    name: str
    label: str
    value: str  # never the secret key
    secret: bool
    from_env: bool
    state: str  # "set in the server's environment" / "set: type a new one…" / "not set"


def human_size(size: int, lang: str) -> str:
    units = ("Б", "КБ", "МБ", "ГБ") if lang == "ru" else ("B", "KB", "MB", "GB")
    value, unit = float(size), 0
    while value >= 1024 and unit < len(units) - 1:
        value, unit = value / 1024, unit + 1
    text = f"{value:.0f}" if unit == 0 else f"{value:.1f}"
    return f"{text.replace('.', ',') if lang == 'ru' else text} {units[unit]}"


class BackupsState(SessionState):
    runs: list[RunLine] = []
    daily_at: str = ""
    keep_days: str = "14"
    send_admins: bool = False
    has_passphrase: bool = False
    form_error: str = ""
    form_field: str = ""
    running: bool = False
    loaded: bool = False
    offsite: list[OffsiteLine] = []
    offsite_on: bool = False
    offsite_error: str = ""
    check_result: str = ""
    check_ok: bool = False
    _typed: dict[str, str] = {}  # typed but not saved (backend only: a key never goes back to the browser)
    attempt: int = 0  # the button sends it: a second tap queued before the first ended carries an old one

    def _line(self, r: runs.BackupRunOut) -> RunLine:
        lang = self.ui_lang_value()
        return RunLine(
            id=r.id, when=self.shop_time(r.started_at, "%d.%m.%Y %H:%M"), kind=self.text(f"ui.backups.kind.{r.kind}"),
            status=self.text(f"ui.backups.status.{r.status}"), ok=r.status == "ok", failed=r.status == "failed",
            size=human_size(r.size_bytes, lang) if r.status == "ok" else "",
            duration=f"{r.duration_ms / 1000:.1f} s" if r.status == "ok" else "",
            contents=(self.text("ui.backups.contents_line", rows=r.rows, files=r.files)
                      + (f" · {self.text('ui.backups.encrypted')}" if r.encrypted else "")) if r.status == "ok" else "",
            sent=str(r.sent_to) if r.status == "ok" else "", downloadable=r.downloadable,
            removed=r.status == "ok" and not r.downloadable, error=r.error or "",
            offsite=(self.text("ui.backups.upload_failed", error=r.upload_error) if r.upload_error
                     else self.text("ui.backups.uploaded") if r.uploaded_to else ""),
            upload_failed=bool(r.upload_error),
        )

    def _show_offsite(self, o: offsite.OffsiteOut) -> None:
        secret_state = {True: self.text("ui.backups.offsite.secret_set"), False: self.text("ui.backups.offsite.secret_none")}
        self.offsite = [OffsiteLine(name=f.name, label=self.text(f"ui.backups.offsite.{f.name}"), value=f.value,
                                    secret=f.name == "secret_key", from_env=f.from_env,
                                    state=self.text("ui.backups.offsite.from_env") if f.from_env
                                    else secret_state[f.set] if f.name == "secret_key" else "")
                        for f in o.fields]
        self.offsite_on = o.configured

    @rx.event
    async def load(self):
        out = await self.call(backup_settings.read_settings, readonly=True)
        if out.ok:
            s = out.value
            self.daily_at, self.keep_days, self.send_admins = s.daily_at, str(s.keep_days), s.send_admins
            self.has_passphrase = s.has_passphrase
            store = await self.call(offsite.get_offsite, readonly=True)
            if store.ok:
                self._show_offsite(store.value)
        await self._load_runs()
        self.loaded = True
        return toast(out)

    async def _load_runs(self):
        out = await self.call(runs.list_runs, readonly=True)
        if out.ok:
            self.runs = [self._line(r) for r in out.value]

    @rx.event
    async def back_up_now(self, attempt: int):
        if self.running or attempt != self.attempt:  # a double tap makes one backup
            return
        self.running, self.attempt = True, self.attempt + 1
        yield
        try:
            out = await self.call(runs.run_backup)
        finally:
            self.running = False
        await self._load_runs()
        if not out.ok:
            yield toast(out)
        elif out.value.status == "ok":
            yield said(self.text("ui.backups.done", size=human_size(out.value.size_bytes, self.ui_lang_value())))
        else:
            yield said(self.text("ui.backups.failed", error=out.value.error or ""), ok=False)

    @rx.event
    async def save(self, form: dict):
        out = await self.call(backup_settings.save_settings, daily_at=form.get("daily_at", ""),
                              keep_days=form.get("keep_days", ""), send_admins=bool(form.get("send_admins")),
                              new_passphrase=form.get("passphrase") or None,
                              remove_passphrase=bool(form.get("remove_passphrase")))
        if not out.ok:
            self.form_error, self.form_field = out.error, out.field()
            return
        s = out.value
        self.form_error, self.form_field = "", ""
        self.daily_at, self.keep_days, self.send_admins, self.has_passphrase = (
            s.daily_at, str(s.keep_days), s.send_admins, s.has_passphrase)
        return said(self.text("ui.backups.saved"))

    @rx.event
    def remember_offsite(self, name: str, value: str):
        """A field left: kept (server side) for "check connection" before it is saved."""
        self._typed = {**self._typed, name: str(value or "")}

    @rx.event
    async def save_offsite(self, form: dict):
        out = await self.call(offsite.save_offsite, values={f["name"]: str(form.get(f["name"], "")) for f in self.offsite},
                              clear=["access_key", "secret_key"] if form.get("forget_keys") else [])
        self.offsite_error = out.error
        if out.ok:
            self._typed, self.check_result = {}, ""
            self._show_offsite(out.value)
            return said(self.text("ui.backups.offsite.saved"))

    @rx.event
    async def check_offsite(self):
        out = await self.call(offsite.check_offsite, values=dict(self._typed))
        self.check_ok = out.ok
        self.check_result = (self.text("ui.backups.offsite.check_ok", where=out.value.where, archives=out.value.archives)
                             if out.ok else out.error)
