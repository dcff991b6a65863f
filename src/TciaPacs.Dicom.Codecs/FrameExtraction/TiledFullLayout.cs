namespace TciaPacs.Dicom.Codecs.FrameExtraction;

/// <summary>
/// Where each frame of a TILED_FULL image lies (PS3.3 C.7.6.17.3): the frames follow each other along a row of tiles
/// (left to right), then down the rows, then through the focal planes (from the glass towards the coverslip), then
/// across the optical paths, or the segments of a Segmentation, in the order of their sequence's items. A subset of
/// tiles no longer fills the Total Pixel Matrix in that order, so an extracted instance is TILED_SPARSE: each frame
/// kept carries its place explicitly, in the functional groups a TILED_FULL image may leave out (Plane Position
/// (Slide), Optical Path Identification or Segment Identification, Frame Content's Dimension Index Values).
/// </summary>
internal sealed class TiledFullLayout
{
    private readonly DicomDataset _source;
    private readonly int _tileRows, _tileColumns, _tilesAcross, _tilesDown, _planes, _channels, _firstFrame;
    private readonly double _originX, _originY, _baseZ, _rowSpacing, _columnSpacing, _planeSpacing;
    private readonly double[] _rowDirection, _columnDirection;
    private readonly bool _segmentation;
    private readonly string[] _opticalPaths;
    private readonly ushort[] _segments;

    /// <summary>A 200,000-pixel-square slide in 256-pixel tiles, 3 optical paths and 20 focal planes is 36 million tiles; this leaves room.</summary>
    private const long MaxTiles = 1L << 27;

    private TiledFullLayout(DicomDataset source, int frames)
    {
        _source = source;
        // A Segmentation has a frame per tile and segment; a Label Map Segmentation one per tile for all its segments.
        _segmentation = source.GetString(DicomTags.SOPClassUID)?.Trim('\0', ' ') == DicomUids.SegmentationStorage.Value;
        _tileRows = (int)(StoredNumbers.Int(source, DicomTags.Rows) ?? 0);
        _tileColumns = (int)(StoredNumbers.Int(source, DicomTags.Columns) ?? 0);
        var totalRows = StoredNumbers.Int(source, DicomTags.TotalPixelMatrixRows) ?? 0;
        var totalColumns = StoredNumbers.Int(source, DicomTags.TotalPixelMatrixColumns) ?? 0;
        if (_tileRows <= 0 || _tileColumns <= 0 || totalRows <= 0 || totalColumns <= 0)
            throw Refused("it lacks the Rows, Columns, Total Pixel Matrix Rows (0048,0007) or Total Pixel Matrix Columns (0048,0006) its tiles are placed by");
        var across = (totalColumns + _tileColumns - 1) / _tileColumns;
        var down = (totalRows + _tileRows - 1) / _tileRows;
        var planes = StoredNumbers.Int(source, DicomTags.TotalPixelMatrixFocalPlanes) ?? 1;

        var shared = source.GetSequence(DicomTags.SharedFunctionalGroupsSequence)?.Items.FirstOrDefault();
        long channels;
        if (_segmentation)
        {
            _segments = (source.GetSequence(DicomTags.SegmentSequence)?.Items ?? [])
                .Select(item => (ushort)(StoredNumbers.Int(item, DicomTags.SegmentNumber) ?? 0)).ToArray();
            _opticalPaths = [];
            channels = _segments.Length;
            if (channels == 0) throw Refused("it is a Segmentation without a Segment Sequence (0062,0002) to say which segment each tile belongs to");
        }
        else
        {
            _opticalPaths = (source.GetSequence(DicomTags.OpticalPathSequence)?.Items ?? [])
                .Select(item => item.GetString(DicomTags.OpticalPathIdentifier)?.Trim() ?? "").ToArray();
            _segments = [];
            channels = StoredNumbers.Int(source, DicomTags.NumberOfOpticalPaths) ?? Math.Max(1, _opticalPaths.Length);
            if (channels > 1 && _opticalPaths.Length != channels)
                throw Refused($"it has {channels} optical paths but {_opticalPaths.Length} items in its Optical Path Sequence (0048,0105) to name them");
        }
        if (planes <= 0 || channels <= 0) throw Refused("its Total Pixel Matrix Focal Planes (0048,0303) or Number of Optical Paths (0048,0302) is not positive");

        // A frame of a Concatenation's instance is counted from the Concatenation's first (PS3.3 C.7.6.16.2.2.4).
        _firstFrame = (int)(StoredNumbers.Int(source, DicomTags.ConcatenationFrameOffsetNumber) ?? 0);
        // Dimension indexes rank values over every tile: a grid past any real slide's (a damaged size) is refused,
        // not enumerated. Counted in floating point first: four 32-bit counts overflow a long.
        if ((double)across * down * planes * channels > MaxTiles)
            throw Refused($"its Total Pixel Matrix, tile size, focal planes and {(_segmentation ? "segments" : "optical paths")} give {(double)across * down * planes * channels:G3} tiles, more than the {MaxTiles} this server places");
        (_tilesAcross, _tilesDown, _planes, _channels) = ((int)across, (int)down, (int)planes, (int)channels);
        var total = (long)_tilesAcross * _tilesDown * _planes * _channels;
        if (_firstFrame < 0 || _firstFrame + (long)frames > total || (_firstFrame == 0 && !source.Contains(DicomTags.ConcatenationUID) && frames != total))
            throw Refused($"its {frames} frames are not the {_tilesAcross} × {_tilesDown} tiles × {_planes} focal planes × {_channels} {(_segmentation ? "segments" : "optical paths")} ({total}) TILED_FULL implies");

        var origin = source.GetSequence(DicomTags.TotalPixelMatrixOriginSequence)?.Items.FirstOrDefault();
        var orientation = StoredNumbers.Doubles(source, DicomTags.ImageOrientationSlide);
        var measures = shared?.GetSequence(DicomTags.PixelMeasuresSequence)?.Items.FirstOrDefault();
        var spacing = measures is null ? [] : StoredNumbers.Doubles(measures, DicomTags.PixelSpacing);
        if (origin is null || StoredNumbers.Double(origin, DicomTags.XOffsetInSlideCoordinateSystem) is not { } x
            || StoredNumbers.Double(origin, DicomTags.YOffsetInSlideCoordinateSystem) is not { } y
            || orientation.Length != 6 || spacing.Length != 2)
            throw Refused("its tiles cannot be placed on the slide: it lacks Total Pixel Matrix Origin Sequence (0048,0008), Image Orientation (Slide) (0048,0102) or a shared Pixel Spacing (0028,0030)");
        _originX = x;
        _originY = y;
        _rowDirection = orientation[..3];
        _columnDirection = orientation[3..];
        _rowSpacing = spacing[0];
        _columnSpacing = spacing[1];
        // Focal planes lie Spacing Between Slices apart (mm); Z offsets are in µm, from a shared plane position's if any.
        var sharedPosition = shared?.GetSequence(DicomTags.PlanePositionSlideSequence)?.Items.FirstOrDefault();
        _baseZ = sharedPosition is null ? 0 : StoredNumbers.Double(sharedPosition, DicomTags.ZOffsetInSlideCoordinateSystem) ?? 0;
        _planeSpacing = measures is null ? 0 : StoredNumbers.Double(measures, DicomTags.SpacingBetweenSlices) ?? 0;
        if (_planes > 1 && _planeSpacing <= 0)
            throw Refused($"its {_planes} focal planes have no Spacing Between Slices (0018,0088) to say how deep each lies");
    }

    /// <summary>The layout of a TILED_FULL image of <paramref name="frames"/> frames, or why its tiles cannot be placed (AA02).</summary>
    public static TiledFullLayout Of(DicomDataset source, int frames) => new(source, frames);

    public static bool IsTiledFull(DicomDataset ds) => ds.GetString(DicomTags.DimensionOrganizationType)?.Trim() == "TILED_FULL";

    /// <summary>
    /// Makes the instance TILED_SPARSE: each kept frame's item of the Per-frame Functional Groups Sequence (made when the
    /// source has none) gets the place its frame had in the source's order, unless the item already states it.
    /// </summary>
    public void Apply(DicomDataset ds, IReadOnlyList<int> frames)
    {
        var shared = ds.GetSequence(DicomTags.SharedFunctionalGroupsSequence)?.Items.FirstOrDefault();
        // A shared position or channel would now say every tile lies at one place.
        shared?.Remove(DicomTags.PlanePositionSlideSequence);
        // One optical path or segment is said once, in the shared groups; several, in each frame's.
        var channelTag = _segmentation ? DicomTags.SegmentIdentificationSequence : DicomTags.OpticalPathIdentificationSequence;
        var channelShared = _channels == 1 && shared is not null;
        if (!channelShared) shared?.Remove(channelTag);
        else if (!shared!.Contains(channelTag) && ChannelItem(0) is { } only) shared.AddOrUpdate(channelTag, only);

        var indexes = DimensionIndexes();
        var existing = ds.GetSequence(DicomTags.PerFrameFunctionalGroupsSequence)?.Items;
        var items = new List<DicomDataset>(frames.Count);
        for (var i = 0; i < frames.Count; i++)
        {
            var item = existing is null ? new DicomDataset() : existing[i].Clone();
            var frame = _firstFrame + frames[i];
            if (!item.Contains(DicomTags.PlanePositionSlideSequence)) item.AddOrUpdate(DicomTags.PlanePositionSlideSequence, PlanePosition(frame));
            if (!channelShared && !item.Contains(channelTag) && ChannelItem(Channel(frame)) is { } channel) item.AddOrUpdate(channelTag, channel);
            if (indexes is not null && item.GetSequence(DicomTags.FrameContentSequence)?.Items.FirstOrDefault()?.Contains(DicomTags.DimensionIndexValues) != true)
            {
                var content = item.GetSequence(DicomTags.FrameContentSequence)?.Items.FirstOrDefault() ?? new DicomDataset();
                content.AddOrUpdate(DicomTags.DimensionIndexValues, VR.UL, indexes.Select(index => index(frame)).ToArray());
                item.AddOrUpdate(DicomTags.FrameContentSequence, content);
            }
            items.Add(item);
        }
        ds.Add(new DicomSequence(DicomTags.PerFrameFunctionalGroupsSequence, items));
        ds.AddOrUpdate(DicomTags.DimensionOrganizationType, VR.CS, "TILED_SPARSE");
    }

    /// <summary>The Segment Identification or Optical Path Identification item of a channel; none for an image without an Optical Path Sequence.</summary>
    private DicomDataset? ChannelItem(int channel) =>
        _segmentation ? new DicomDataset().AddOrUpdate(DicomTags.ReferencedSegmentNumber, VR.US, _segments[channel])
        : channel < _opticalPaths.Length ? new DicomDataset().AddOrUpdate(DicomTags.OpticalPathIdentifier, VR.SH, _opticalPaths[channel])
        : null;

    private int Column(int frame) => frame % _tilesAcross;
    private int Row(int frame) => frame / _tilesAcross % _tilesDown;
    private int Plane(int frame) => frame / (_tilesAcross * _tilesDown) % _planes;
    private int Channel(int frame) => frame / (_tilesAcross * _tilesDown * _planes);

    /// <summary>The slide position of a frame's top left pixel: the origin moved along the row and column directions (mm; Z in µm).</summary>
    private (double X, double Y, double Z) Position(int frame)
    {
        var across = (double)Column(frame) * _tileColumns * _columnSpacing;
        var down = (double)Row(frame) * _tileRows * _rowSpacing;
        var x = _originX + _rowDirection[0] * across + _columnDirection[0] * down;
        var y = _originY + _rowDirection[1] * across + _columnDirection[1] * down;
        var z = _baseZ + 1000 * (_rowDirection[2] * across + _columnDirection[2] * down + Plane(frame) * _planeSpacing);
        // Rounded to a nanometre, so that sums of spacings do not carry binary noise into the Decimal Strings.
        return (Math.Round(x, 6), Math.Round(y, 6), Math.Round(z, 3));
    }

    private DicomDataset PlanePosition(int frame)
    {
        var (x, y, z) = Position(frame);
        return new DicomDataset()
            .AddOrUpdate(DicomTags.ColumnPositionInTotalImagePixelMatrix, VR.SL, Column(frame) * _tileColumns + 1)
            .AddOrUpdate(DicomTags.RowPositionInTotalImagePixelMatrix, VR.SL, Row(frame) * _tileRows + 1)
            .AddOrUpdate(DicomTags.XOffsetInSlideCoordinateSystem, VR.DS, DecimalString.Format(x))
            .AddOrUpdate(DicomTags.YOffsetInSlideCoordinateSystem, VR.DS, DecimalString.Format(y))
            .AddOrUpdate(DicomTags.ZOffsetInSlideCoordinateSystem, VR.DS, DecimalString.Format(z));
    }

    /// <summary>
    /// For each item of the Dimension Index Sequence, a frame's index: the rank (from 1) of its value among the values
    /// of that dimension over all the source's tiles. The source's ranks are kept, not renumbered to the frames kept,
    /// so that an index means the same in both instances under the same Dimension Organization UID (PS3.3 C.7.6.17.2).
    /// Null when the instance has no dimensions, or one this layout does not give (then no Frame Content is added,
    /// except to a Segmentation, which requires it: refused).
    /// </summary>
    private Func<int, uint>[]? DimensionIndexes()
    {
        var dimensions = _source.GetSequence(DicomTags.DimensionIndexSequence)?.Items;
        if (dimensions is null || dimensions.Count == 0) return null;
        var indexes = new List<Func<int, uint>>();
        foreach (var dimension in dimensions)
        {
            var pointer = dimension.Get(DicomTags.DimensionIndexPointer) is { } p ? DicomDataset.GetTags(p).FirstOrDefault() : default;
            // A tile's place does not depend on its optical path or segment, nor these on its place.
            var (value, ofChannel) =
                pointer == DicomTags.ColumnPositionInTotalImagePixelMatrix ? (f => Column(f), false)
                : pointer == DicomTags.RowPositionInTotalImagePixelMatrix ? (f => Row(f), false)
                : pointer == DicomTags.XOffsetInSlideCoordinateSystem ? (f => Position(f).X, false)
                : pointer == DicomTags.YOffsetInSlideCoordinateSystem ? (f => Position(f).Y, false)
                : pointer == DicomTags.ZOffsetInSlideCoordinateSystem ? (f => Position(f).Z, false)
                : pointer == DicomTags.ReferencedSegmentNumber && _segmentation ? (f => _segments[Channel(f)], true)
                : pointer == DicomTags.OpticalPathIdentifier && !_segmentation ? (f => Channel(f), true)
                : ((Func<int, double>?)null, false);
            if (value is null)
            {
                if (_segmentation)
                    throw Refused($"its Dimension Index Sequence names {pointer}, which does not follow from the place of a tile");
                return null;
            }
            indexes.Add(Ranks(value, ofChannel));
        }
        return indexes.ToArray();
    }

    /// <summary>
    /// A frame's rank (from 1) among the distinct values of a dimension over every tile of the source: over the tiles of
    /// one channel for a place, over one tile of each channel for a channel.
    /// </summary>
    private Func<int, uint> Ranks(Func<int, double> value, bool ofChannel)
    {
        var perChannel = _tilesAcross * _tilesDown * _planes;
        var frames = ofChannel ? Enumerable.Range(0, _channels).Select(c => c * perChannel) : Enumerable.Range(0, perChannel);
        var sorted = frames.Select(value).Distinct().Order().ToArray();
        return frame => (uint)(Array.BinarySearch(sorted, value(frame)) + 1);
    }

    private static FrameExtractionException Refused(string reason) =>
        new(FrameExtractionFailure.CannotExtract, $"it is a TILED_FULL image whose tiles are placed by their order, and {reason}");
}
