"""The help screen: every key and what each screen is for."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

HELP = """\
# Outboard

Keys work on every screen (the footer shows them too); **ctrl+p** opens the command palette
with every action.

| key | screen | what it is for |
|---|---|---|
| l | Library | sessions, songs, revisions; / searches, Enter opens, N new session, A add song |
| r | Rack | the chain of a revision, each unit's controls; edit from the keyboard |
| c | Recall | put the revision back on the gear; the manual checklist |
| n | Notes | the conversation: reactions, flags and requests, open and addressed |
| d | Diff | two revisions side by side, changes only |
| m | Measure | loudness, true peak and range of the source mix, delivery targets |
| p | Print | print the revision through its insert loop, with meters; the takes |
| o | Compare | null two prints of the song against each other: what differs |
| v | Verify | does the gear sound like the revision? fingerprint or null check |
| s | Sheet | export the recall sheet of a song or session |
| t | | light or dark theme |
| ? | | this help |
| q | | quit |

On the Rack: up and down choose a control, left and right step it by its resolution or to
the next detent (shift for ten steps), Enter types an exact value or label, b bypasses the
unit, ctrl+up and ctrl+down move it in the chain, a adds a unit of the studio, x removes one,
v starts a new revision. A printed revision is frozen: an edit offers to start a new
revision from it.

On the Recall screen: g starts the recall, R resumes the last one; in the checklist Enter
confirms a control, typing records what was actually set, s skips, q or Escape leaves.

On the Diff screen: [ and ] choose revision A, { and } revision B, w swaps them. On Notes:
a adds a note, x marks one addressed or declined, o shows only the open ones. On Measure: g
measures again. On Print: P or Enter prints the revision, x or Escape stops the print (the
partial file is kept, marked incomplete), e exports the artist's report of the revision
as HTML. On Compare: a and b make the take under the cursor A or B, w swaps them, Enter
compares. On Verify: f checks the chain's fingerprint, n or Enter nulls a 10 s excerpt
against the print. On Sheet: ctrl+s exports.

A screen's own key comes first: on the Rack v starts a new revision, on Notes o shows the
open notes, on Verify n runs the null check; from those, ctrl+p reaches the other screen.

Escape closes this help.
"""


class HelpScreen(ModalScreen[None]):
    BINDINGS = [("escape", "dismiss", "Close"), ("question_mark", "dismiss", "Close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help"):
            yield Markdown(HELP)

    def action_dismiss(self) -> None:  # type: ignore[override]
        self.dismiss(None)
