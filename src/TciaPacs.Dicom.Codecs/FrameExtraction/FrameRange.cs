using System.Globalization;

namespace TciaPacs.Dicom.Codecs.FrameExtraction;

/// <summary>The three ways a frame-level retrieve names its frames (PS3.4 Y.3.2.1).</summary>
public enum FrameRangeKind
{
    /// <summary>Simple Frame List (0008,1161): frame numbers, increasing.</summary>
    SimpleFrameList,
    /// <summary>Calculated Frame List (0008,1162): triplets of first frame, upper limit and increment.</summary>
    CalculatedFrameList,
    /// <summary>Time Range (0008,1163): start and end, in seconds from Content Time.</summary>
    TimeRange,
}

/// <summary>
/// The Frame Range Key of a FRAME level Composite Instance Root Retrieve (PS3.4 Y.3.2), checked as the standard
/// asks of the SCU that wrote it; <see cref="Select"/> turns it into the frames of one instance.
/// </summary>
public sealed class FrameRange
{
    /// <summary>The highest frame number a calculated triplet may give as its upper limit to mean "to the last frame".</summary>
    public const uint ToTheEnd = 0xFFFFFFFF;

    private FrameRange(FrameRangeKind kind, uint[] numbers, double start = 0, double end = 0)
    {
        Kind = kind;
        Numbers = numbers;
        Start = start;
        End = end;
    }

    public FrameRangeKind Kind { get; }

    /// <summary>The frame numbers of a simple list, or the triplets of a calculated one.</summary>
    public IReadOnlyList<uint> Numbers { get; }

    /// <summary>The seconds from Content Time a time range starts and ends at.</summary>
    public double Start { get; }
    public double End { get; }

    public static FrameRange Simple(params uint[] frames)
    {
        if (frames.Length == 0) throw Invalid("Simple Frame List (0008,1161) is empty");
        for (var i = 0; i < frames.Length; i++)
        {
            if (frames[i] == 0) throw Invalid("Simple Frame List (0008,1161) has a frame 0: frames are numbered from 1");
            if (i > 0 && frames[i] <= frames[i - 1])
                throw Invalid($"Simple Frame List (0008,1161) must increase without repeats (PS3.4 Y.3.2.1.1), but {frames[i]} follows {frames[i - 1]}");
        }
        return new FrameRange(FrameRangeKind.SimpleFrameList, frames);
    }

    public static FrameRange Calculated(params uint[] triplets)
    {
        if (triplets.Length == 0 || triplets.Length % 3 != 0)
            throw Invalid($"Calculated Frame List (0008,1162) holds triplets (first, upper limit, increment), not {triplets.Length} values");
        for (var i = 0; i < triplets.Length; i += 3)
        {
            var (first, last, step) = (triplets[i], triplets[i + 1], triplets[i + 2]);
            if (first == 0) throw Invalid("Calculated Frame List (0008,1162) starts a sub-range at frame 0: frames are numbered from 1");
            if (last < first) throw Invalid($"Calculated Frame List (0008,1162): the sub-range {first}-{last} ends before it starts");
            if (step == 0) throw Invalid($"Calculated Frame List (0008,1162): the sub-range from {first} has an increment of 0");
            // The sub-ranges must not overlap: each starts after the last frame of the one before (PS3.4 Y.3.2.1.2).
            if (i > 0 && LastOf(triplets[i - 3], triplets[i - 2], triplets[i - 1]) is var before && first <= before)
                throw Invalid($"Calculated Frame List (0008,1162): the sub-range from {first} overlaps the one before, which runs to frame {before}");
        }
        return new FrameRange(FrameRangeKind.CalculatedFrameList, triplets);
    }

    /// <summary>The last frame number a sub-range gives (its upper limit when the increment lands on it).</summary>
    private static ulong LastOf(uint first, uint last, uint step) => first + (ulong)(last - first) / step * step;

    public static FrameRange Time(double start, double end)
    {
        if (!double.IsFinite(start) || !double.IsFinite(end)) throw Invalid("Time Range (0008,1163) must hold two numbers");
        if (end < start) throw Invalid($"Time Range (0008,1163) ends ({end} s) before it starts ({start} s)");
        return new FrameRange(FrameRangeKind.TimeRange, [], start, end);
    }

    /// <summary>
    /// The one Frame Range Key of a FRAME level identifier (PS3.4 Table Y.6-2: one and only one of the three).
    /// Throws <see cref="FrameExtractionException"/> (Invalid Request) for none, several, or one that breaks Y.3.2.
    /// </summary>
    public static FrameRange FromIdentifier(DicomDataset identifier)
    {
        ArgumentNullException.ThrowIfNull(identifier);
        var present = new[] { DicomTags.SimpleFrameList, DicomTags.CalculatedFrameList, DicomTags.TimeRange }
            .Where(t => identifier.Get(t) is { Buffer.Length: > 0 }).ToList();
        if (present.Count != 1)
            throw Invalid(present.Count == 0
                ? "a FRAME level request needs one Frame Range Key: Simple Frame List (0008,1161), Calculated Frame List (0008,1162) or Time Range (0008,1163)"
                : $"a FRAME level request takes one Frame Range Key, not {present.Count} ({string.Join(", ", present)})");
        var tag = present[0];
        try
        {
            if (tag == DicomTags.TimeRange)
            {
                var times = identifier.GetDoubles(tag);
                if (times.Length != 2) throw Invalid($"Time Range (0008,1163) holds two values (start and end), not {times.Length}");
                return Time(times[0], times[1]);
            }
            return Frames(tag, identifier.GetInts(tag));
        }
        catch (Exception ex) when (ex is FormatException or OverflowException)
        {
            throw Invalid($"{tag} holds values that are no numbers");
        }
    }

    private static FrameRange Frames(DicomTag tag, long[] values)
    {
        if (values.Any(v => v is < 0 or > uint.MaxValue)) throw Invalid($"{tag} holds frame numbers (UL)");
        var numbers = values.Select(v => (uint)v).ToArray();
        return tag == DicomTags.SimpleFrameList ? Simple(numbers) : Calculated(numbers);
    }

    /// <summary>
    /// The frames (0-based, increasing) this range selects from an instance of <paramref name="numberOfFrames"/> frames.
    /// A calculated sub-range that starts past the last frame is ignored, and one whose upper limit is past it runs to
    /// it (only the last may: Y.3.2.1.2); a simple list naming a frame the instance lacks is an invalid request, unless
    /// it names none it has (None Found). A time range needs frame times (<see cref="FrameTimes"/>).
    /// </summary>
    public IReadOnlyList<int> Select(DicomDataset source, int numberOfFrames)
    {
        ArgumentNullException.ThrowIfNull(source);
        var selected = new List<int>();
        switch (Kind)
        {
            case FrameRangeKind.SimpleFrameList:
                foreach (var f in Numbers)
                    if (f <= numberOfFrames) selected.Add((int)f - 1);
                if (selected.Count > 0 && selected.Count < Numbers.Count)
                    throw Invalid($"Simple Frame List (0008,1161) asks for frame {Numbers.First(f => f > numberOfFrames)} of an instance with {numberOfFrames}");
                break;
            case FrameRangeKind.CalculatedFrameList:
                for (var i = 0; i < Numbers.Count; i += 3)
                {
                    var (first, last, step) = (Numbers[i], Numbers[i + 1], Numbers[i + 2]);
                    if (first > numberOfFrames) continue;
                    if (last > numberOfFrames && i + 3 < Numbers.Count)
                        throw Invalid($"Calculated Frame List (0008,1162): only the last sub-range may run to the end (its upper limit {last} is past frame {numberOfFrames})");
                    for (long f = first; f <= Math.Min(last, (uint)numberOfFrames); f += step) selected.Add((int)f - 1);
                }
                break;
            default:
                var times = FrameTimes(source, numberOfFrames)
                    ?? throw new FrameExtractionException(FrameExtractionFailure.NotTimeBased,
                        "Time Range (0008,1163) asks for times, but the instance gives its frames none (no Frame Time, Frame Time Vector or Frame Reference DateTime)");
                for (var i = 0; i < times.Length; i++)
                    if (times[i] >= Start && times[i] <= End) selected.Add(i);
                break;
        }
        if (selected.Count == 0)
            throw new FrameExtractionException(FrameExtractionFailure.NoFramesFound, $"none of the frames asked for ({this}) is in the instance, which has {numberOfFrames}");
        return selected;
    }

    /// <summary>
    /// Each frame's time in seconds from Content Time (PS3.4 Y.3.2.1.3), from Frame Time (0018,1063) or Frame Time
    /// Vector (0018,1065) with Frame Delay (0018,1066), or from each frame's Frame Reference DateTime (0018,9151)
    /// against Content Date and Time; null when the instance gives none.
    /// </summary>
    public static double[]? FrameTimes(DicomDataset source, int numberOfFrames)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (FrameOffsetsMs(source, numberOfFrames) is { } offsets)
        {
            var delay = StoredNumbers.Double(source, DicomTags.FrameDelay) ?? 0;
            return offsets.Select(ms => (delay + ms) / 1000).ToArray();
        }
        if (source.GetSequence(DicomTags.PerFrameFunctionalGroupsSequence) is not { } perFrame || perFrame.Items.Count != numberOfFrames
            || source.GetDate(DicomTags.ContentDate) is not { } date || source.GetTime(DicomTags.ContentTime) is not { } time)
            return null;
        var content = date.ToDateTime(time);
        var times = new double[numberOfFrames];
        for (var i = 0; i < numberOfFrames; i++)
        {
            var frameContent = perFrame.Items[i].GetSequence(DicomTags.FrameContentSequence)?.Items.FirstOrDefault();
            if (frameContent?.GetDateTime(DicomTags.FrameReferenceDateTime) is not { } at) return null;
            times[i] = (at.DateTime - content).TotalSeconds;
        }
        return times;
    }

    /// <summary>Each frame's start in milliseconds from the first frame's, from Frame Time Vector or Frame Time; null without either.</summary>
    internal static double[]? FrameOffsetsMs(DicomDataset source, int numberOfFrames)
    {
        // Frame Time Vector: the first value is 0, each next one the time since the frame before (PS3.3 C.7.6.5.1.2).
        var vector = StoredNumbers.Doubles(source, DicomTags.FrameTimeVector);
        if (vector.Length == numberOfFrames)
        {
            var offsets = new double[numberOfFrames];
            for (var i = 1; i < numberOfFrames; i++) offsets[i] = offsets[i - 1] + vector[i];
            return offsets;
        }
        if (StoredNumbers.Double(source, DicomTags.FrameTime) is { } frameTime && frameTime > 0)
            return Enumerable.Range(0, numberOfFrames).Select(i => frameTime * i).ToArray();
        return null;
    }

    /// <summary>The item of Frame Extraction Sequence (0008,1164) that records this extraction (PS3.3 C.12.3).</summary>
    public DicomDataset ExtractionItem(string sourceSopInstanceUid)
    {
        var item = new DicomDataset();
        item.AddOrUpdate(DicomTags.MultiFrameSourceSOPInstanceUID, VR.UI, sourceSopInstanceUid);
        AddTo(item);
        return item;
    }

    /// <summary>Adds this key to a FRAME level identifier or a Frame Extraction item, as the request named it.</summary>
    public void AddTo(DicomDataset dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        switch (Kind)
        {
            case FrameRangeKind.SimpleFrameList: dataset.AddOrUpdate(DicomTags.SimpleFrameList, VR.UL, Numbers.ToArray()); break;
            case FrameRangeKind.CalculatedFrameList: dataset.AddOrUpdate(DicomTags.CalculatedFrameList, VR.UL, Numbers.ToArray()); break;
            default: dataset.AddOrUpdate(DicomTags.TimeRange, VR.FD, Start, End); break;
        }
    }

    public override string ToString() => Kind switch
    {
        FrameRangeKind.SimpleFrameList => "frames " + string.Join(',', Numbers),
        FrameRangeKind.CalculatedFrameList => "frames " + string.Join(", ", Numbers.Chunk(3).Select(t =>
            $"{t[0]}-{(t[1] == ToTheEnd ? "end" : t[1].ToString(CultureInfo.InvariantCulture))} by {t[2]}")),
        _ => string.Create(CultureInfo.InvariantCulture, $"{Start}-{End} s"),
    };

    private static FrameExtractionException Invalid(string message) => new(FrameExtractionFailure.InvalidRequest, message);
}
