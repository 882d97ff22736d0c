"""A picture of a version in the terminal (textual-image: kitty/sixel where the terminal
has them, unicode half-blocks otherwise), with a caption; a clear line when there is none."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.css.query import NoMatches
from textual.widgets import Label, Static


class Preview(Vertical):
    DEFAULT_CSS = """
    Preview { height: 1fr; width: 1fr; }
    Preview > .preview-caption { height: 1; width: 1fr; text-style: bold; }
    Preview > .preview-empty { height: 1fr; width: 1fr; content-align: center middle; color: $text-muted; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._path: Path | None = None
        self._ready = False
        self._pixels = (0, 0)
        self._pending: tuple[Path | None, str | Text] | None = None

    def compose(self) -> ComposeResult:
        yield Label("", classes="preview-caption")
        yield Static("no picture yet", classes="preview-empty")

    def on_mount(self) -> None:
        self._ready = True
        self._show_pending()

    def _show_pending(self) -> None:
        if self._pending is not None:
            path, caption = self._pending
            self._pending = None
            self.show(path, caption)

    def show(self, path: Path | None, caption: str | Text) -> None:
        if not self._ready:  # just mounted: its children come with the next frame
            self._pending = (path, caption)
            return
        try:
            label = self.query_one(".preview-caption", Label)
        except NoMatches:  # mounted, its children not yet (seen under load): after the next refresh
            self._pending = (path, caption)
            self.call_after_refresh(self._show_pending)
            return
        label.update(caption)
        if path == self._path:
            return
        self._path = path
        for old in self.query(".preview-image, .preview-empty"):
            old.remove()
        if path is None or not path.exists():
            reason = "no picture yet" if path is None else f"file missing: {path.name}"
            self.mount(Static(reason, classes="preview-empty"))
            return
        from PIL import Image as PILImage

        from director_tui.media.ffmpeg import IMAGE_FORMATS
        from director_tui.ui.terminal_graphics import image_widget_class

        try:
            with PILImage.open(path, formats=IMAGE_FORMATS) as img:  # never another decoder (issue 25)
                self._pixels = img.size
        except (OSError, ValueError, SyntaxError):  # an older version in another format, or damaged
            self.mount(Static(f"not a PNG, JPEG or WebP picture: {path.name}", classes="preview-empty"))
            return
        image = image_widget_class()(str(path), classes="preview-image")
        # a size of its own from the start: textual-image's auto size of a small picture
        # (16x9 pixels) is 0 rows, which it cannot draw; _fit gives the real size next frame
        image.styles.width, image.styles.height = 1, 1
        self.mount(image)
        self.call_after_refresh(self._fit)

    def on_resize(self) -> None:
        self._fit()

    def _fit(self) -> None:
        """The largest size that fits the box and keeps the picture's proportions (textual-image
        fills whatever size it is given; an auto height measured too early comes out 0)."""
        from director_tui.ui.terminal_graphics import cell_size

        images = self.query(".preview-image")
        if not images or not self._pixels[0]:
            return
        cell_w, cell_h = cell_size()
        ratio = (self._pixels[1] / self._pixels[0]) * (cell_w / cell_h)  # rows per column
        width = max(1, self.size.width)
        height = max(1, self.size.height - 1)  # the caption takes a line
        if round(width * ratio) > height:
            width = max(1, round(height / ratio))
        image = images.first()
        image.styles.width, image.styles.height = width, max(1, round(width * ratio))
