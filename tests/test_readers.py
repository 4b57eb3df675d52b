"""How a ticket export's bytes become text: encodings and duplicate headers.

Every fixture is written byte for byte (the text each one spells is in a
comment, and ``_bytes`` checks that the bytes are that text in the encoding
named), the way a spreadsheet program or an export tool saves it.  The team
names and encodings expected were worked out by hand: a team id is the name
lower-cased with runs of non-word characters turned into '_'.
"""
from unittest import mock

import pandas as pd
import pytest

import servicekpi as skpi
from servicekpi.readers import describe_read, detect_encoding, read_table

HEADER = b"ticket_id,team,created_at\n"


def _bytes(raw: bytes, text: str, encoding: str) -> bytes:
    """``raw``, after checking that it is ``text`` in ``encoding`` (the fixture is what it says)."""
    assert raw == text.encode(encoding)
    return raw


def write(tmp_path, raw: bytes, name="t.csv"):
    path = tmp_path / name
    path.write_bytes(raw)
    return path


def encoding_of(path):
    return read_table(path).attrs["read"]["encoding"]


def quality_detail(t, code):
    q = skpi.data_quality(t)
    return q.loc[q["code"] == code, "detail"].item()


# ------------------------------------------------------- 1. Western text, not GB18030
# "ç" "ã" are E7 E3 in Latin-1, which is also the GB2312 character 玢: the old
# rule read "Atenção" as "Aten玢o".
PORTUGUESE = _bytes(HEADER
                    + b"1,Aten\xe7\xe3o,2024-01-02 10:00\n"         # Atenção
                    + b"2,Solu\xe7\xe3o,2024-01-02 11:00\n"         # Solução
                    + b"3,Informa\xe7\xe3o,2024-01-02 12:00\n",     # Informação
                    "ticket_id,team,created_at\n1,Atenção,2024-01-02 10:00\n"
                    "2,Solução,2024-01-02 11:00\n3,Informação,2024-01-02 12:00\n", "latin-1")
# upper case: "ÇÃ" (C7 C3) and "ÇÕ" (C7 D5) are even level-1 GB2312 characters (敲, 钦)
PORTUGUESE_UPPER = _bytes(HEADER
                          + b"1,ATEN\xc7\xc3O,2024-01-02 10:00\n"   # ATENÇÃO
                          + b"2,SOLU\xc7\xd5ES,2024-01-02 11:00\n",  # SOLUÇÕES
                          "ticket_id,team,created_at\n1,ATENÇÃO,2024-01-02 10:00\n"
                          "2,SOLUÇÕES,2024-01-02 11:00\n", "latin-1")
EUROPEAN = _bytes(HEADER
                  + b"1,M\xfcller,2024-01-02 10:00\n"             # Müller
                  + b"2,R\xe9clamation,2024-01-02 11:00\n"        # Réclamation
                  + b"3,\xd6deme,2024-01-02 12:00\n"              # Ödeme
                  + b"4,Aten\xe7\xe3o,2024-01-02 13:00\n",        # Atenção
                  "ticket_id,team,created_at\n1,Müller,2024-01-02 10:00\n"
                  "2,Réclamation,2024-01-02 11:00\n3,Ödeme,2024-01-02 12:00\n"
                  "4,Atenção,2024-01-02 13:00\n", "latin-1")
# Windows-1252 beyond Latin-1: en dash 0x96, euro sign 0x80
WINDOWS_1252 = _bytes(HEADER
                      + b"1,Caisse \x80 \x96 Sud,2024-01-02 10:00\n"  # Caisse € – Sud
                      + b"2,Gr\xf6\xdfe Kunden,2024-01-02 11:00\n",   # Größe Kunden
                      "ticket_id,team,created_at\n1,Caisse € – Sud,2024-01-02 10:00\n"
                      "2,Größe Kunden,2024-01-02 11:00\n", "cp1252")


@pytest.mark.parametrize("raw, names", [
    (PORTUGUESE, {"atenção": "Atenção", "informação": "Informação", "solução": "Solução"}),
    (PORTUGUESE_UPPER, {"atenção": "ATENÇÃO", "soluções": "SOLUÇÕES"}),
    (EUROPEAN, {"atenção": "Atenção", "müller": "Müller", "réclamation": "Réclamation",
                "ödeme": "Ödeme"}),
    (WINDOWS_1252, {"caisse_sud": "Caisse € – Sud", "größe_kunden": "Größe Kunden"}),
], ids=["portuguese", "portuguese-upper", "european", "windows-1252"])
def test_western_names_are_read_as_windows_1252(tmp_path, raw, names):
    path = write(tmp_path, raw)
    assert encoding_of(path) == "cp1252"
    assert skpi.load_tickets(path).attrs["team_names"] == names


def test_detect_encoding_on_bytes_alone():
    assert detect_encoding(b"Aten\xe7\xe3o, Solu\xe7\xe3o") == "cp1252"
    assert detect_encoding(b"ATEN\xc7\xc3O") == "cp1252"
    assert detect_encoding(b"M\xfcller") == "cp1252"
    assert detect_encoding(_bytes(b"\xcd\xb6\xcb\xdf\xb4\xa6\xc0\xed", "投诉处理", "gbk")) == "gb18030"
    assert detect_encoding(b"plain ASCII") == "utf-8-sig"


def test_neither_reading_plausible_is_refused_naming_the_file(tmp_path):
    # two exports pasted together: one row in UTF-8, one in Windows-1252.  Not
    # UTF-8 as a whole; as Windows-1252 the first reads "AtenÃ§Ã£o"; as GB18030
    # the Han characters sit between Latin letters ("Aten莽茫o", "M黮ler").
    raw = _bytes(HEADER + b"1,Aten\xc3\xa7\xc3\xa3o,2024-01-02 10:00\n", "ticket_id,team,created_at\n"
                 "1,Atenção,2024-01-02 10:00\n", "utf-8") \
        + _bytes(b"2,M\xfcller,2024-01-02 11:00\n", "2,Müller,2024-01-02 11:00\n", "latin-1")
    path = write(tmp_path, raw, "pasted.csv")
    with pytest.raises(skpi.DataError) as ei:
        skpi.load_tickets(path)
    text = str(ei.value)
    assert "pasted.csv: cannot tell the file's encoding" in text
    assert "as Windows-1252 'AtenÃ§Ã£o' 'Müller'" in text
    assert "declare the file's encoding: encoding: cp1252, gb18030, cp950 (Big5) or utf-8" in text
    # declared, it loads as declared
    m = tmp_path / "m.yaml"
    m.write_text("columns: {ticket_id: ticket_id, team: team, created_at: created_at}\n"
                 "encoding: cp1252\n")
    assert skpi.load_tickets(path, m).attrs["team_names"] == {
        "atenã_ã_o": "AtenÃ§Ã£o", "müller": "Müller"}


# ------------------------------------------------------- 2. the whole file decides
def test_gbk_text_after_the_first_megabyte(tmp_path):
    ascii_rows = b"".join(b"%d,Support,2024-01-02 10:00\n" % i for i in range(1, 45001))
    assert len(ascii_rows) > 1 << 20
    late = _bytes(b"45001,\xcd\xb6\xcb\xdf\xb4\xa6\xc0\xed\xd6\xd0\xd0\xc4,2024-01-03 10:00\n"
                  b"45002,\xbf\xcd\xb7\xfe\xd2\xbb\xb2\xbf,2024-01-03 11:00\n",
                  "45001,投诉处理中心,2024-01-03 10:00\n45002,客服一部,2024-01-03 11:00\n", "gbk")
    path = write(tmp_path, HEADER + ascii_rows + late, "late.csv")
    assert encoding_of(path) == "gb18030"
    t = skpi.load_tickets(path)
    assert t.attrs["team_names"] == {"support": "Support", "客服一部": "客服一部",
                                     "投诉处理中心": "投诉处理中心"}
    assert len(t) == 45002


def test_gbk_file_whose_first_megabyte_ends_inside_a_character(tmp_path):
    # the old rule decoded the first 1 MB alone: a character cut in two there
    # made the GB18030 reading fail, and the file was read as Windows-1252
    header = b"ticket_id,team,created_at,note\n"
    first = b"1,Support,2024-01-02 10:00,"
    note = b"x" * ((1 << 20) - 1 - len(header) - len(first) - len(b"\n2,"))
    second = _bytes(b"2,\xcd\xb6\xcb\xdf\xb4\xa6\xc0\xed\xd6\xd0\xd0\xc4,2024-01-02 11:00,\n",
                    "2,投诉处理中心,2024-01-02 11:00,\n", "gbk")
    raw = header + first + note + b"\n" + second
    assert raw[(1 << 20) - 1:(1 << 20) + 1] == b"\xcd\xb6"       # 投
    path = write(tmp_path, raw, "long.csv")
    assert encoding_of(path) == "gb18030"
    assert skpi.load_tickets(path).attrs["team_names"] == {"support": "Support",
                                                           "投诉处理中心": "投诉处理中心"}


def test_western_text_after_the_first_megabyte(tmp_path):
    ascii_rows = b"".join(b"%d,Support,2024-01-02 10:00\n" % i for i in range(1, 45001))
    late = b"45001,Aten\xe7\xe3o,2024-01-03 10:00\n"                   # Atenção
    path = write(tmp_path, HEADER + ascii_rows + late, "late.csv")
    assert encoding_of(path) == "cp1252"
    assert skpi.load_tickets(path).attrs["team_names"] == {"atenção": "Atenção",
                                                           "support": "Support"}


# ------------------------------------------------------- 3. Big5 and GB18030
BIG5 = _bytes(HEADER
              + b"1,\xab\xc8\xaa\x41\xa4\xa4\xa4\xdf,2024-01-02 10:00\n"   # 客服中心
              + b"2,\xa7\xde\xb3\x4e\xa4\xe4\xb4\xa9,2024-01-02 11:00\n"   # 技術支援
              + b"3,\xb1\x62\xb3\xe6\xac\x64\xb8\xdf,2024-01-02 12:00\n",  # 帳單查詢
              "ticket_id,team,created_at\n1,客服中心,2024-01-02 10:00\n"
              "2,技術支援,2024-01-02 11:00\n3,帳單查詢,2024-01-02 12:00\n", "cp950")
GBK = _bytes(HEADER
             + b"1,\xcd\xb6\xcb\xdf\xb4\xa6\xc0\xed\xd6\xd0\xd0\xc4,2024-01-02 10:00\n"  # 投诉处理中心
             + b"2,\xbf\xcd\xb7\xfe\xd2\xbb\xb2\xbf,2024-01-02 11:00\n",               # 客服一部
             "ticket_id,team,created_at\n1,投诉处理中心,2024-01-02 10:00\n"
             "2,客服一部,2024-01-02 11:00\n", "gbk")


def test_big5_is_read_as_big5(tmp_path):
    # these bytes also decode as GB18030 (into private-use, rare and kana
    # characters: "\ue085狝いみ") and as Windows-1252 ("«ÈªA¤¤¤ß")
    BIG5.decode("gb18030")
    path = write(tmp_path, BIG5)
    assert encoding_of(path) == "cp950"
    assert skpi.load_tickets(path).attrs["team_names"] == {
        "客服中心": "客服中心", "帳單查詢": "帳單查詢", "技術支援": "技術支援"}
    assert "encoding cp950 (Big5)" in describe_read(read_table(path).attrs["read"])


def test_gbk_is_read_as_gb18030_though_it_decodes_as_big5(tmp_path):
    GBK.decode("cp950")
    path = write(tmp_path, GBK)
    assert encoding_of(path) == "gb18030"
    assert skpi.load_tickets(path).attrs["team_names"] == {"客服一部": "客服一部",
                                                           "投诉处理中心": "投诉处理中心"}
    # 客户 (BF CD BB A7) is also two common Big5 characters (諦, 誧): a tie,
    # which GB2312 text wins
    vip = _bytes(b"VIP\xbf\xcd\xbb\xa7", "VIP客户", "gbk")
    assert vip.decode("cp950") == "VIP諦誧"
    assert detect_encoding(vip) == "gb18030"


def test_chinese_that_reads_as_gb18030_and_big5_alike_is_refused(tmp_path):
    # Big5 高雄 (B0 AA B6 AF) and 珺 (D6 73) read as GB18030 蔼动 (common) and
    # 謘 (a GBK extension character): no reading stands out
    raw = _bytes(HEADER + b"1,\xb0\xaa\xb6\xaf,2024-01-02 10:00\n2,\xd6\x73,2024-01-02 11:00\n",
                 "ticket_id,team,created_at\n1,高雄,2024-01-02 10:00\n2,珺,2024-01-02 11:00\n",
                 "cp950")
    assert raw.decode("gb18030").split("\n")[1:3] == ["1,蔼动,2024-01-02 10:00",
                                                       "2,謘,2024-01-02 11:00"]
    path = write(tmp_path, raw, "kaohsiung.csv")
    with pytest.raises(skpi.DataError) as ei:
        skpi.load_tickets(path)
    text = str(ei.value)
    assert "kaohsiung.csv" in text and "declare the file's encoding" in text
    assert "as Big5 '高雄' '珺'" in text and "as GB18030 '蔼动' '謘'" in text


# ------------------------------------------------------- 4. UTF-16, UTF-32, UTF-8 BOM
# Excel's "Unicode Text": a BOM, tabs, CRLF line ends
UNICODE_TEXT = "ticket_id\tteam\tcreated_at\r\n1\t客服\t2024-01-02\r\n2\tMüller\t2024-01-03\r\n"


@pytest.mark.parametrize("raw, encoding", [
    (b"\xff\xfe" + _bytes(b"t\x00i\x00c\x00k\x00e\x00t\x00_\x00i\x00d\x00\t\x00t\x00e\x00a\x00m\x00"
                          b"\t\x00c\x00r\x00e\x00a\x00t\x00e\x00d\x00_\x00a\x00t\x00\r\x00\n\x00"
                          b"1\x00\t\x00\xa2\x5b\x0d\x67\t\x002\x000\x002\x004\x00-\x000\x001\x00-"
                          b"\x000\x002\x00\r\x00\n\x00"
                          b"2\x00\t\x00M\x00\xfc\x00l\x00l\x00e\x00r\x00\t\x002\x000\x002\x004\x00-"
                          b"\x000\x001\x00-\x000\x003\x00\r\x00\n\x00", UNICODE_TEXT, "utf-16-le"),
     "utf-16"),
    (b"\xfe\xff" + _bytes(b"\x00t\x00i\x00c\x00k\x00e\x00t\x00_\x00i\x00d\x00\t\x00t\x00e\x00a\x00m"
                          b"\x00\t\x00c\x00r\x00e\x00a\x00t\x00e\x00d\x00_\x00a\x00t\x00\r\x00\n"
                          b"\x001\x00\t\x5b\xa2\x67\x0d\x00\t\x002\x000\x002\x004\x00-\x000\x001\x00-"
                          b"\x000\x002\x00\r\x00\n"
                          b"\x002\x00\t\x00M\x00\xfc\x00l\x00l\x00e\x00r\x00\t\x002\x000\x002\x004\x00-"
                          b"\x000\x001\x00-\x000\x003\x00\r\x00\n", UNICODE_TEXT, "utf-16-be"),
     "utf-16"),
    (b"\xff\xfe\x00\x00" + UNICODE_TEXT.encode("utf-32-le"), "utf-32"),
    (b"\x00\x00\xfe\xff" + UNICODE_TEXT.encode("utf-32-be"), "utf-32"),
], ids=["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
def test_unicode_text_with_a_bom(tmp_path, raw, encoding):
    path = write(tmp_path, raw, "export.txt")
    frame = read_table(path)
    assert frame.attrs["read"]["encoding"] == encoding
    assert frame.attrs["read"]["delimiter"] == "\t"
    assert frame.columns.tolist() == ["ticket_id", "team", "created_at"]
    t = skpi.load_tickets(path)
    assert t.attrs["team_names"] == {"müller": "Müller", "客服": "客服"}
    assert t["created_at"].tolist() == [pd.Timestamp("2024-01-02"), pd.Timestamp("2024-01-03")]


def test_utf16_without_a_bom(tmp_path):
    raw = _bytes(b"t\x00i\x00c\x00k\x00e\x00t\x00_\x00i\x00d\x00\t\x00t\x00e\x00a\x00m\x00"
                 b"\t\x00c\x00r\x00e\x00a\x00t\x00e\x00d\x00_\x00a\x00t\x00\n\x00"
                 b"1\x00\t\x00\xa2\x5b\x0d\x67\t\x002\x000\x002\x004\x00-\x000\x001\x00-"
                 b"\x000\x002\x00\n\x00",
                 "ticket_id\tteam\tcreated_at\n1\t客服\t2024-01-02\n", "utf-16-le")
    path = write(tmp_path, raw, "export.txt")
    assert encoding_of(path) == "utf-16-le"
    assert skpi.load_tickets(path).attrs["team_names"] == {"客服": "客服"}


def test_utf8_with_a_bom(tmp_path):
    raw = _bytes(b"\xef\xbb\xbf" + HEADER + b"1,Aten\xc3\xa7\xc3\xa3o,2024-01-02 10:00\n"
                 b"2,\xe5\xae\xa2\xe6\x9c\x8d,2024-01-02 11:00\n",
                 "\ufeffticket_id,team,created_at\n1,Atenção,2024-01-02 10:00\n"
                 "2,客服,2024-01-02 11:00\n", "utf-8")
    path = write(tmp_path, raw)
    assert encoding_of(path) == "utf-8-sig"
    assert read_table(path).columns[0] == "ticket_id"
    assert skpi.load_tickets(path).attrs["team_names"] == {"atenção": "Atenção", "客服": "客服"}


# ------------------------------------------------------- 5. duplicate headers
def test_duplicate_headers_are_renamed_and_said(tmp_path):
    path = write(tmp_path, b"ticket_id,team,created_at,team\n1,A,2024-01-02,B\n2,A,2024-01-03,C\n")
    frame = read_table(path)
    assert frame.columns.tolist() == ["ticket_id", "team", "created_at", "team.1"]
    assert frame["team.1"].tolist() == ["B", "C"]
    assert frame.attrs["read"]["renamed"] == {"team.1": "team"}
    t = skpi.load_tickets(path)
    assert t.attrs["team_names"] == {"a": "A"}         # the first 'team' is used
    assert "duplicate headers renamed: team -> team.1" in quality_detail(t, "file_read")


def test_renamed_header_does_not_collide_with_a_real_one(tmp_path):
    # ' a' is 'a' once trimmed; 'a.1' is a header of the file, so the copies
    # become a.2 and a.3
    path = write(tmp_path, b"a,a.1, a,a\n1,2,3,4\n")
    frame = read_table(path)
    assert frame.columns.tolist() == ["a", "a.1", "a.2", "a.3"]
    assert frame.iloc[0].tolist() == ["1", "2", "3", "4"]
    assert frame.attrs["read"]["renamed"] == {"a.2": "a", "a.3": "a"}
    assert describe_read(frame.attrs["read"]).endswith(
        "duplicate headers renamed: a -> a.2, a -> a.3")


def test_duplicate_headers_in_a_workbook(tmp_path):
    path = tmp_path / "book.xlsx"
    pd.DataFrame([["1", "A", "2024-01-02", "B"]],
                 columns=["ticket_id", "team", "created_at", "team"]).to_excel(path, index=False)
    frame = read_table(path)
    assert frame.columns.tolist() == ["ticket_id", "team", "created_at", "team.1"]
    assert frame.attrs["read"]["renamed"] == {"team.1": "team"}


def test_no_renaming_no_mention(tmp_path):
    path = write(tmp_path, b"ticket_id,team,created_at\n1,A,2024-01-02\n")
    info = read_table(path).attrs["read"]
    assert "renamed" not in info and "duplicate" not in describe_read(info)


@pytest.mark.parametrize("chosen, expected", [(None, "system"), ("mimalloc", "mimalloc")])
def test_arrow_allocates_with_the_system_allocator_unless_a_pool_is_chosen(chosen, expected):
    """Importing servicekpi's readers (as every command, worker and report kernel
    does) after pandas, which has already imported Arrow, switches Arrow's default
    pool to the system allocator; ARROW_DEFAULT_MEMORY_POOL keeps the user's."""
    import os
    import subprocess
    import sys
    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    if chosen:
        env["ARROW_DEFAULT_MEMORY_POOL"] = chosen
    code = ("import pandas, pyarrow as pa; pa.array(['made before']); "
            "import servicekpi.readers; print(pa.default_memory_pool().backend_name)")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True).stdout.split()
    assert out == [expected]


def test_the_whole_file_is_looked_at_past_blocks_of_ascii(tmp_path):
    # 3 MB of ASCII rows (past the 1 MB sample and several scan blocks), then
    # one row a Windows-1252 export wrote with an accent in its last block
    from servicekpi import readers
    rows = "".join(f"{i},Support,2024-01-02 09:00\n" for i in range(120_000))
    assert len(rows) > 3 * readers._BLOCK
    plain = tmp_path / "plain.csv"
    plain.write_bytes(("ticket_id,team,created_at\n" + rows).encode())
    # all ASCII: told by one pass into a buffer, the line-aligned blocks never read
    with mock.patch.object(readers, "_blocks", side_effect=AssertionError("read")):
        assert detect_encoding(plain.read_bytes()[:1 << 20], whole_file=plain) == "utf-8-sig"
    late = tmp_path / "late.csv"
    late.write_bytes(plain.read_bytes() + "120000,Müller Café,2024-01-03 10:00\n".encode("cp1252"))
    starts = []
    real = readers._blocks
    with mock.patch.object(readers, "_blocks", side_effect=lambda *a: starts.append(a[2])
                           or real(*a)):
        assert detect_encoding(late.read_bytes()[:1 << 20], whole_file=late) == "cp1252"
    assert starts == [3 * readers._BLOCK]     # from the block with the accent on
    t = read_table(late)
    assert t["team"].iloc[-1] == "Müller Café" and len(t) == 120_001


def test_a_row_with_more_cells_than_the_header_is_named(tmp_path):
    """An unquoted comma inside a value gave pandas' 'Error tokenizing data. C error:
    Expected 4 fields in line 3, saw 5'; it names the line, the counts and the cure."""
    import servicekpi as skpi
    from servicekpi.readers import read_table
    path = tmp_path / "t.csv"
    path.write_text("ticket_id,team,created_at,category\n"
                    "1,phone,2025-01-02 10:00,billing\n"
                    "2,phone,2025-01-03 10:00,billing, refund\n"
                    + "".join(f"{i},chat,2025-01-04 10:00,other\n" for i in range(3, 40)))
    with pytest.raises(skpi.DataError) as ei:
        read_table(path)
    text = str(ei.value)
    assert "line 3 has 5 cells where the header has 4" in text
    assert "delimiter ','" in text and "tokenizing" not in text
