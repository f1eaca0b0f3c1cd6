"""The library's upload form: the file is read through Django's upload handling, bounded in size and checked to be
text before the library reads it (units/library checks everything else); its name and type are never trusted."""

from __future__ import annotations

from django import forms

# The C4 unit's file is about 30 KB; a whole awarding body's specification unit is well under this.
MAX_BYTES = 512 * 1024
MAX_KB = MAX_BYTES // 1024


def file_text(data: bytes) -> str:
    """The upload as text, or why it cannot be a unit or qualification file."""
    if len(data) > MAX_BYTES:
        raise forms.ValidationError(f"The file is larger than {MAX_KB} KB, so it cannot be a unit file.")
    if not data.strip():
        raise forms.ValidationError("The file is empty.")
    if b"\x00" in data:
        raise forms.ValidationError("This is not a unit or qualification file: it holds binary data, not JSON text.")
    try:
        # utf-8-sig: a file saved by an editor that starts it with a byte-order mark reads the same.
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise forms.ValidationError(
            f"The file is not UTF-8 text (byte {error.start + 1} cannot be read). Save it as UTF-8 JSON."
        ) from None


class LibraryFileForm(forms.Form):
    file = forms.FileField(
        label="Unit or qualification file (JSON)",
        help_text=f"A file in the library's format (docs/unit-format.md), at most {MAX_KB} KB.",
        widget=forms.ClearableFileInput(attrs={"accept": ".json,application/json"}),
    )

    def clean_file(self) -> str:
        upload = self.cleaned_data["file"]
        # Read one byte past the limit: enough to know it is too big without reading all of a huge upload.
        return file_text(upload.read(MAX_BYTES + 1))


class LibraryConfirmForm(forms.Form):
    """The previewed file, carried to the confirmation; the import checks all of it again before writing."""

    document = forms.CharField(widget=forms.HiddenInput, max_length=MAX_BYTES, strip=False)
