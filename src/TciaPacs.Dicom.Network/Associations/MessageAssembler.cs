using TciaPacs.Dicom.Diagnostics;
using TciaPacs.Dicom.IO;
using TciaPacs.Dicom.Network.Dimse;
using TciaPacs.Dicom.Network.Pdus;

namespace TciaPacs.Dicom.Network.Associations;

/// <summary>
/// Reassembles DIMSE messages from PDV fragments (PS3.7 Annex E, PS3.8 E.2): command fragments, then, when the
/// command says a data set follows, data fragments on the same presentation context. A C-STORE data set is written to
/// a Part 10 spool file as it arrives; other data sets are small and kept in memory within a limit.
/// </summary>
internal sealed class MessageAssembler(DicomAssociation association) : IDisposable
{
    private const int MaxCommandLength = 1024 * 1024;
    private MemoryStream? _command;
    private byte _contextId;
    private DimseMessage? _pending;
    private Stream? _data;
    private System.IO.Hashing.NonCryptographicHashAlgorithm? _hash; // of a spooled data set, as it arrives
    private long _dataLength;
    // Writeback of a spool the receiver keeps as the stored file: started every WritebackChunk bytes and at the end, so
    // that the disk writes while the instance is received and checked, and the later durability barrier waits less.
    private const long WritebackChunk = 1024 * 1024;
    private bool _writeback;
    private long _writebackFrom;

    /// <summary>Adds one fragment; returns the message it completes, if any.</summary>
    public DimseMessage? Add(Pdv pdv)
    {
        var context = association.Accepted.FindContext(pdv.PresentationContextId);
        if (context is not { IsAccepted: true })
            throw new PduException($"PDV on presentation context {pdv.PresentationContextId}, which was not accepted", AbortPdu.InvalidPduParameterValue);
        if (pdv.IsCommand) return OnCommandFragment(pdv, context);
        return OnDataFragment(pdv);
    }

    private DimseMessage? OnCommandFragment(Pdv pdv, PresentationContext context)
    {
        if (_pending != null) throw new PduException("a command fragment arrived while the previous command's data set was incomplete", AbortPdu.UnexpectedPduParameter);
        if (_command == null)
        {
            _command = new MemoryStream();
            _contextId = pdv.PresentationContextId;
        }
        else if (_contextId != pdv.PresentationContextId)
        {
            throw new PduException("command fragments on two presentation contexts", AbortPdu.UnexpectedPduParameter);
        }
        _command.Write(pdv.Data.Span);
        if (_command.Length > MaxCommandLength) throw new PduException($"command set longer than {MaxCommandLength} bytes");
        if (!pdv.IsLast) return null;
        var command = CommandCodec.Decode(_command.GetBuffer().AsSpan(0, (int)_command.Length));
        _command = null;
        var message = new DimseMessage(command, context);
        if (!command.HasDataSet) return message;
        _pending = message;
        _dataLength = 0;
        _writeback = false; // a spool's, set below: never carried over to an identifier kept in memory
        _writebackFrom = 0;
        if (command.Field == CommandField.CStoreRequest)
        {
            StageTrace.Mark(StageTrace.CommandDecoded, command.AffectedSopInstanceUid);
            // PS3.7 9.1.1: the data set is the instance; spooled to disk behind a Part 10 header, never held in memory.
            var path = Path.Combine(association.TempDirectory, $"dimse-{Guid.NewGuid():N}.part");
            // Synchronous, unbuffered writes of each fragment: they land in the page cache in microseconds, where an
            // asynchronous file write on Linux is a thread-pool hop per call, and a FileStream buffer of this size would
            // be a large-object allocation per instance.
            var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read, 1, FileOptions.None);
            message.DataSetFile = path;
            var header = Part10.Header(command.AffectedSopClassUid ?? "", command.AffectedSopInstanceUid ?? "", message.TransferSyntaxUid, association.CallingAe);
            file.Write(header);
            _data = file;
            _hash = association.NewDataSetHash();
            _writeback = association.WritesBackSpool();
        }
        else
        {
            _data = new MemoryStream();
        }
        return null;
    }

    private DimseMessage? OnDataFragment(Pdv pdv)
    {
        if (_pending == null || _data == null) throw new PduException("a data fragment arrived without a command announcing a data set", AbortPdu.UnexpectedPduParameter);
        if (pdv.PresentationContextId != _contextId) throw new PduException("data set fragments on another presentation context than their command", AbortPdu.UnexpectedPduParameter);
        _dataLength += pdv.Data.Length;
        if (_data is MemoryStream && _dataLength > association.MaxInMemoryDataSet)
            throw new PduException($"a {_pending.Command.Field} data set longer than {association.MaxInMemoryDataSet} bytes", AbortPdu.InvalidPduParameterValue);
        _data.Write(pdv.Data.Span);
        _hash?.Append(pdv.Data.Span);
        if (_writeback && (pdv.IsLast || _data.Position - _writebackFrom >= WritebackChunk))
        {
            var spool = (FileStream)_data;
            Writeback.Start(spool.SafeFileHandle, _writebackFrom, pdv.IsLast ? 0 : spool.Position - _writebackFrom);
            _writebackFrom = spool.Position;
        }
        if (!pdv.IsLast) return null;
        var message = _pending;
        message.DataSetLength = _dataLength;
        message.DataSetHash = _hash?.GetCurrentHash();
        _hash = null;
        if (message.DataSetFile != null) StageTrace.Mark(StageTrace.DataSetComplete, message.Command.AffectedSopInstanceUid);
        if (_data is MemoryStream ms) message.DataSetBytes = ms.ToArray();
        else _data.Dispose();
        _data = null;
        _pending = null;
        return message;
    }

    /// <summary>Discards an incomplete message (association ended mid-way): its spool file is deleted.</summary>
    public void Dispose()
    {
        _data?.Dispose();
        _data = null;
        _pending?.Dispose();
        _pending = null;
    }
}
