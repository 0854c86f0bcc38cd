using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Text;

namespace KeyShareDetector.Detection.Geo;

/// <summary>The three ip-location-db CSV layouts (github.com/sapics/ip-location-db).</summary>
public enum CsvGeoFileKind
{
    /// <summary><c>ip_range_start,ip_range_end,country_code</c></summary>
    Country,

    /// <summary><c>ip_range_start,ip_range_end,autonomous_system_number,autonomous_system_organization</c></summary>
    Asn,

    /// <summary><c>ip_range_start,ip_range_end,country_code,state1,state2,city,postcode,latitude,longitude,timezone</c></summary>
    City,
}

/// <summary>
/// Geo/ASN answers from ip-location-db style CSV range files: no header line, inclusive ranges given as IP
/// addresses (IPv4 and IPv6 may share a file), RFC 4180 quoting (organisation names may hold commas and
/// doubled quotes). Files ending in .gz are decompressed. The numeric "-num.csv" variants are not read.
/// Any bad line fails the load with the file and line number: a wrong setting fails at start, not at 3 a.m.
/// Hosting is not marked here; wrap the lookup in a <see cref="CompositeGeoLookup"/> for that.
/// </summary>
public sealed class CsvRangeGeoLookup : IGeoLookup
{
    private readonly IpRangeTable _ranges;
    private readonly GeoInfo[] _values;

    private CsvRangeGeoLookup(CsvGeoFileKind kind, IpRangeTable ranges, GeoInfo[] values)
    {
        Kind = kind;
        _ranges = ranges;
        _values = values;
    }

    public CsvGeoFileKind Kind { get; }

    /// <summary>Ranges held after adjacent rows with the same answer were merged.</summary>
    public int RangeCount => _ranges.V4RangeCount + _ranges.V6RangeCount;

    /// <summary>Loads one or more files of the same kind (ip-location-db ships IPv4 and IPv6 separately).</summary>
    /// <exception cref="GeoDataException">A file is missing, unreadable, empty, or has a bad line.</exception>
    public static CsvRangeGeoLookup Load(CsvGeoFileKind kind, params IEnumerable<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var loader = new CsvGeoLoader(kind);
        int files = 0;
        foreach (var path in paths)
        {
            files++;
            if (!System.IO.File.Exists(path)) throw new GeoDataException(path, null, "file not found.");
            try
            {
                using var stream = OpenMaybeCompressed(path);
                using var reader = new StreamReader(stream, Encoding.UTF8);
                loader.Read(reader, path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
            {
                throw new GeoDataException(path, null, $"cannot read the file: {e.Message}", e);
            }
        }
        if (files == 0) throw new ArgumentException("Give at least one file.", nameof(paths));
        return loader.Build();
    }

    /// <summary>Reads one CSV text; <paramref name="sourceName"/> names it in error messages.</summary>
    /// <exception cref="GeoDataException">A bad line, or no data at all.</exception>
    public static CsvRangeGeoLookup Read(CsvGeoFileKind kind, TextReader reader, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(sourceName);
        var loader = new CsvGeoLoader(kind);
        loader.Read(reader, sourceName);
        return loader.Build();
    }

    public GeoInfo Lookup(IPAddress address)
    {
        int i = _ranges.Find(address);
        return i >= 0 ? _values[i] : GeoInfo.Unknown;
    }

    private static Stream OpenMaybeCompressed(string path)
    {
        Stream file = System.IO.File.OpenRead(path);
        return path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionMode.Decompress) : file;
    }

    /// <summary>Parses lines into ranges and de-duplicated answers (millions of rows share a few thousand answers).</summary>
    private sealed class CsvGeoLoader
    {
        private const int MaxFields = 10;
        private readonly CsvGeoFileKind _kind;
        private readonly int _expectedFields;
        private readonly IpRangeTable.Builder _ranges = new();
        private readonly List<GeoInfo> _values = [];
        private readonly Dictionary<GeoInfo, int> _valueIndex = [];
        private readonly Dictionary<string, string> _strings = new(StringComparer.Ordinal);
        private readonly Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> _stringLookup;
        private readonly List<string> _sources = [];
        private readonly Field[] _fields = new Field[MaxFields];

        public CsvGeoLoader(CsvGeoFileKind kind)
        {
            _kind = kind;
            _expectedFields = kind switch
            {
                CsvGeoFileKind.Country => 3,
                CsvGeoFileKind.Asn => 4,
                CsvGeoFileKind.City => 10,
                _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown CSV geo file kind."),
            };
            _stringLookup = _strings.GetAlternateLookup<ReadOnlySpan<char>>();
        }

        private string Layout => _kind switch
        {
            CsvGeoFileKind.Country => "ip_range_start,ip_range_end,country_code",
            CsvGeoFileKind.Asn => "ip_range_start,ip_range_end,autonomous_system_number,autonomous_system_organization",
            _ => "ip_range_start,ip_range_end,country_code,state1,state2,city,postcode,latitude,longitude,timezone",
        };

        public void Read(TextReader reader, string source)
        {
            long sourceIndex = _sources.Count;
            _sources.Add(source);
            int lineNumber = 0;
            int rows = 0;
            string? line;
            while ((line = reader.ReadLine()) is not null)
            {
                lineNumber++;
                if (string.IsNullOrWhiteSpace(line) || line[0] == '#') continue;
                rows++;
                ParseRow(line, source, lineNumber, isFirstRow: rows == 1, tag: (sourceIndex << 32) | (uint)lineNumber);
            }
            if (rows == 0) throw new GeoDataException(source, null, $"no data rows; expected ip-location-db {_kind} lines ({Layout}).");
        }

        public CsvRangeGeoLookup Build()
        {
            IpRangeTable table;
            try
            {
                table = _ranges.Build();
            }
            catch (IpRangeOverlapException e)
            {
                var (file, line) = Where(e.SecondTag);
                var (otherFile, otherLine) = Where(e.FirstTag);
                throw new GeoDataException(file, line, $"{e.Message} The other range is at {otherFile}:{otherLine}.", e);
            }
            return new CsvRangeGeoLookup(_kind, table, [.. _values]);
        }

        private (string File, int Line) Where(long tag) => (_sources[(int)(tag >> 32)], (int)(uint)tag);

        private void ParseRow(string line, string source, int lineNumber, bool isFirstRow, long tag)
        {
            int count = Split(line, _fields, out string? quoteError);
            if (count < 0) throw new GeoDataException(source, lineNumber, $"{quoteError}.");
            if (count != _expectedFields)
            {
                throw new GeoDataException(
                    source,
                    lineNumber,
                    $"expected {_expectedFields} fields ({Layout}) for an ip-location-db {_kind} file, found {count}. Is this the right file for this setting?");
            }
            var first = ParseAddress(line, _fields[0], source, lineNumber, isFirstRow);
            var last = ParseAddress(line, _fields[1], source, lineNumber, isFirstRow);
            var value = _kind switch
            {
                CsvGeoFileKind.Country => new GeoInfo(CountryCode(line, _fields[2], source, lineNumber), null, null, null, null, false),
                CsvGeoFileKind.Asn => AsnRow(line, source, lineNumber),
                _ => CityRow(line, source, lineNumber),
            };
            if (!_valueIndex.TryGetValue(value, out int index))
            {
                index = _values.Count;
                _values.Add(value);
                _valueIndex.Add(value, index);
            }
            try
            {
                _ranges.Add(first, last, index, tag);
            }
            catch (ArgumentException e)
            {
                throw new GeoDataException(source, lineNumber, e.Message, e);
            }
        }

        private GeoInfo AsnRow(string line, string source, int lineNumber)
        {
            var text = Text(line, _fields[2]);
            if (!uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out uint asn))
            {
                throw new GeoDataException(source, lineNumber, $"autonomous_system_number '{text}' is not a number from 0 to 4294967295.");
            }
            // AS0 marks unrouted space (RFC 7607): no network to attribute.
            return asn == 0
                ? GeoInfo.Unknown
                : new GeoInfo(null, null, null, asn, String(line, _fields[3]), false);
        }

        private GeoInfo CityRow(string line, string source, int lineNumber)
        {
            string? country = CountryCode(line, _fields[2], source, lineNumber);
            string? city = String(line, _fields[5]);
            double? latitude = Coordinate(line, _fields[7], 90, "latitude", source, lineNumber);
            double? longitude = Coordinate(line, _fields[8], 180, "longitude", source, lineNumber);
            if (latitude is null != longitude is null)
            {
                throw new GeoDataException(source, lineNumber, "latitude and longitude must both be given or both be empty.");
            }
            return new GeoInfo(country, latitude, longitude, null, null, false) { City = city };
        }

        private static IPAddress ParseAddress(string line, Field field, string source, int lineNumber, bool isFirstRow)
        {
            var text = Text(line, field);
            bool looksLikeIp = text.Contains(':') || text.Count('.') == 3;
            if (looksLikeIp && IPAddress.TryParse(text, out var address)) return address;
            string hint = text.Length > 0 && !text.ContainsAnyExcept("0123456789")
                ? " Numeric (-num.csv) files are not supported: use the -ipv4.csv / -ipv6.csv files."
                : isFirstRow ? " ip-location-db files have no header line: remove it." : "";
            throw new GeoDataException(source, lineNumber, $"'{text}' is not an IP address.{hint}");
        }

        private string? CountryCode(string line, Field field, string source, int lineNumber)
        {
            var text = Text(line, field);
            if (text.IsEmpty) return null;
            if (text.Length != 2 || !char.IsAsciiLetter(text[0]) || !char.IsAsciiLetter(text[1]))
            {
                throw new GeoDataException(source, lineNumber, $"country_code '{text}' is not a two-letter ISO 3166-1 code.");
            }
            Span<char> upper = stackalloc char[2];
            text.ToUpperInvariant(upper);
            return Intern(upper);
        }

        private static double? Coordinate(string line, Field field, double limit, string name, string source, int lineNumber)
        {
            var text = Text(line, field);
            if (text.IsEmpty) return null;
            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !(Math.Abs(value) <= limit))
            {
                throw new GeoDataException(source, lineNumber, $"{name} '{text}' is not a number from -{limit} to {limit}.");
            }
            return value;
        }

        private string? String(string line, Field field)
        {
            if (field.Length == 0) return null;
            if (field.HasEscapedQuotes) return Intern(line.AsSpan(field.Start, field.Length).ToString().Replace("\"\"", "\"", StringComparison.Ordinal));
            var text = Text(line, field);
            return text.IsEmpty ? null : Intern(text);
        }

        private string Intern(ReadOnlySpan<char> text)
        {
            if (_stringLookup.TryGetValue(text, out var existing)) return existing;
            var s = text.ToString();
            _strings.Add(s, s);
            return s;
        }

        private static ReadOnlySpan<char> Text(string line, Field field)
        {
            var span = line.AsSpan(field.Start, field.Length);
            return field.Quoted ? span : span.Trim();
        }

        /// <summary>
        /// Splits an RFC 4180 line; returns the field count (only the first <paramref name="fields"/>.Length are
        /// stored) or -1 with <paramref name="error"/> when quoting is broken.
        /// </summary>
        private static int Split(string line, Field[] fields, out string? error)
        {
            int count = 0;
            int i = 0;
            while (true)
            {
                Field field;
                if (i < line.Length && line[i] == '"')
                {
                    int start = i + 1;
                    int j = start;
                    bool escaped = false;
                    while (true)
                    {
                        if (j >= line.Length)
                        {
                            error = $"field {count + 1} opens a quote that is never closed";
                            return -1;
                        }
                        if (line[j] == '"')
                        {
                            if (j + 1 < line.Length && line[j + 1] == '"')
                            {
                                escaped = true;
                                j += 2;
                                continue;
                            }
                            break;
                        }
                        j++;
                    }
                    field = new Field(start, j - start, Quoted: true, HasEscapedQuotes: escaped);
                    i = j + 1;
                    if (i < line.Length && line[i] != ',')
                    {
                        error = $"field {count + 1} has text after its closing quote";
                        return -1;
                    }
                }
                else
                {
                    int j = line.IndexOf(',', i);
                    if (j < 0) j = line.Length;
                    field = new Field(i, j - i, Quoted: false, HasEscapedQuotes: false);
                    i = j;
                }
                if (count < fields.Length) fields[count] = field;
                count++;
                if (i >= line.Length) break;
                i++;
            }
            error = null;
            return count;
        }

        private readonly record struct Field(int Start, int Length, bool Quoted, bool HasEscapedQuotes);
    }
}
