"""The canvas the reports write their figures with (:func:`servicekpi.report.common._png`),
as a matplotlib backend module (``print_figure(..., backend=BACKEND)``).

matplotlib's Agg canvas, with one difference: an opaque image (every pixel's
alpha 255, as every figure with an opaque face colour, the reports' all) is
written as an RGB PNG, not RGBA.  The browser shows the same pixels; zlib
compresses three bytes a pixel instead of four: a team report's eight figures
in 0.18 s instead of 0.24 s, 10% fewer bytes on its page.  An image with any
transparent pixel (a figure saved with ``transparent=True``) stays RGBA.
"""
from __future__ import annotations

from matplotlib.backends.backend_agg import FigureCanvasAgg

#: ``backend=`` for :meth:`matplotlib.figure.Figure.savefig` or
#: ``print_figure``: this module.
BACKEND = f"module://{__name__}"


class FigureCanvas(FigureCanvasAgg):
    """Agg, writing an opaque image as RGB (the module's docstring)."""

    def print_png(self, filename_or_obj, *, metadata=None, pil_kwargs=None, **_):
        # print_figure passes a canvas outside matplotlib its own arguments too
        # (facecolor, edgecolor, orientation, bbox_inches_restore), which Agg's
        # print_png leaves to print_figure, as this one does
        from PIL import Image
        from PIL.PngImagePlugin import PngInfo

        FigureCanvasAgg.draw(self)
        rgba = self.buffer_rgba()
        image = Image.frombuffer("RGBA", (rgba.shape[1], rgba.shape[0]), rgba,
                                 "raw", "RGBA", 0, 1)
        if image.getextrema()[3] == (255, 255):
            image = image.convert("RGB")
        kwargs = dict(pil_kwargs or {})
        if metadata and "pnginfo" not in kwargs:
            info = PngInfo()
            for key, value in metadata.items():
                if value is not None:
                    info.add_text(key, value)
            kwargs["pnginfo"] = info
        kwargs.setdefault("dpi", (self.figure.dpi, self.figure.dpi))
        image.save(filename_or_obj, format="png", **kwargs)
