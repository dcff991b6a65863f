using System.Buffers.Binary;
using System.Text;

namespace TciaPacs.Dicom.Network.Pdus;

/// <summary>
/// Parsers of PDU bodies (the bytes after the 6-byte PDU header), pure functions over spans (PS3.8 9.3). Every length
/// is checked against what is left before it is used; a violation throws <see cref="PduException"/>.
/// </summary>
public static class PduReader
{
    public const int HeaderLength = 6;

    /// <summary>The PDU header (PS3.8 9.3.1): type, reserved byte, 32-bit big-endian length of what follows.</summary>
    public static (byte Type, uint Length) ParseHeader(ReadOnlySpan<byte> header) => (header[0], BinaryPrimitives.ReadUInt32BigEndian(header[2..6]));

    /// <summary>A-ASSOCIATE-RQ (PS3.8 9.3.2) or -AC (9.3.3): the fixed fields, then the variable items.</summary>
    public static AssociateRequest ParseAssociate(ReadOnlySpan<byte> body, bool isAccept)
    {
        if (body.Length < 68) throw new PduException($"A-ASSOCIATE PDU of {body.Length} bytes: shorter than its 68 fixed bytes");
        var version = BinaryPrimitives.ReadUInt16BigEndian(body);
        var called = AeTitle(body.Slice(4, 16));
        var calling = AeTitle(body.Slice(20, 16));
        string? appContext = null;
        var contexts = new List<PresentationContext>();
        var user = new UserInformation { ImplementationClassUid = "", ImplementationVersionName = null };
        var rest = body[68..];
        while (rest.Length > 0)
        {
            var type = NextItem(ref rest, out var item);
            switch (type)
            {
                case 0x10: appContext = Uid(item); break;
                case 0x20 when !isAccept: contexts.Add(ParseProposedContext(item)); break;
                case 0x21 when isAccept: contexts.Add(ParseAnsweredContext(item)); break;
                case 0x50: user = ParseUserInformation(item); break;
                default: throw new PduException($"A-ASSOCIATE-{(isAccept ? "AC" : "RQ")}: unexpected item type 0x{type:X2}", AbortPdu.UnexpectedPduParameter);
            }
        }
        if (appContext == null) throw new PduException("A-ASSOCIATE: no Application Context item (PS3.8 9.3.2.1)");
        return new AssociateRequest
        {
            ProtocolVersion = version, CalledAe = called, CallingAe = calling, ApplicationContext = appContext,
            PresentationContexts = contexts, UserInformation = user,
        };
    }

    /// <summary>Presentation Context item, request (PS3.8 9.3.2.2): ID, 3 reserved bytes, one abstract syntax, transfer syntaxes.</summary>
    private static PresentationContext ParseProposedContext(ReadOnlySpan<byte> item)
    {
        if (item.Length < 4) throw new PduException("Presentation Context item shorter than 4 bytes");
        var id = item[0];
        string? abstractSyntax = null;
        var syntaxes = new List<string>();
        var rest = item[4..];
        while (rest.Length > 0)
        {
            var type = NextItem(ref rest, out var sub);
            if (type == 0x30) abstractSyntax = Uid(sub);
            else if (type == 0x40) syntaxes.Add(Uid(sub));
            else throw new PduException($"Presentation Context item: unexpected sub-item 0x{type:X2}", AbortPdu.UnexpectedPduParameter);
        }
        return new PresentationContext(id, abstractSyntax ?? "", syntaxes);
    }

    /// <summary>Presentation Context item, accept (PS3.8 9.3.3.2): ID, reserved, result/reason, reserved, one transfer syntax.</summary>
    private static PresentationContext ParseAnsweredContext(ReadOnlySpan<byte> item)
    {
        if (item.Length < 4) throw new PduException("Presentation Context item shorter than 4 bytes");
        var id = item[0];
        var result = (PresentationContextResult)item[2];
        var syntaxes = new List<string>();
        var rest = item[4..];
        while (rest.Length > 0)
        {
            var type = NextItem(ref rest, out var sub);
            if (type == 0x40) syntaxes.Add(Uid(sub));
        }
        return new PresentationContext(id, "", syntaxes) { Result = result };
    }

    /// <summary>User Information item (PS3.8 9.3.2.3 and PS3.7 D.3.3): unknown sub-items are skipped, as PS3.7 D.3.3 asks.</summary>
    public static UserInformation ParseUserInformation(ReadOnlySpan<byte> item)
    {
        uint maxLength = 0;
        string classUid = "";
        string? version = null;
        (ushort, ushort)? window = null;
        var roles = new List<RoleSelection>();
        var extended = new List<ExtendedNegotiation>();
        UserIdentity? identity = null;
        byte[]? identityResponse = null;
        while (item.Length > 0)
        {
            var type = NextItem(ref item, out var sub);
            switch (type)
            {
                case 0x51:
                    if (sub.Length != 4) throw new PduException($"Maximum Length sub-item of {sub.Length} bytes, not 4 (PS3.8 D.1)");
                    maxLength = BinaryPrimitives.ReadUInt32BigEndian(sub);
                    break;
                case 0x52: classUid = Uid(sub); break;
                case 0x55: version = Encoding.ASCII.GetString(sub).Trim(' ', '\0'); break;
                case 0x53:
                    if (sub.Length != 4) throw new PduException("Asynchronous Operations Window sub-item is not 4 bytes (PS3.7 D.3.3.3)");
                    window = (BinaryPrimitives.ReadUInt16BigEndian(sub), BinaryPrimitives.ReadUInt16BigEndian(sub[2..]));
                    break;
                case 0x54:
                {
                    var uid = PrefixedUid(sub, out var after);
                    if (after.Length != 2) throw new PduException("SCP/SCU Role Selection sub-item: roles missing (PS3.7 D.3.3.4)");
                    roles.Add(new RoleSelection(uid, after[0] == 1, after[1] == 1));
                    break;
                }
                case 0x56:
                {
                    var uid = PrefixedUid(sub, out var after);
                    extended.Add(new ExtendedNegotiation(uid, after.ToArray()));
                    break;
                }
                case 0x58:
                {
                    if (sub.Length < 6) throw new PduException("User Identity sub-item too short (PS3.7 D.3.3.7.1)");
                    var primaryLength = BinaryPrimitives.ReadUInt16BigEndian(sub[2..]);
                    if (4 + primaryLength + 2 > sub.Length) throw new PduException("User Identity primary field overruns its sub-item");
                    var primary = sub.Slice(4, primaryLength).ToArray();
                    var secondaryLength = BinaryPrimitives.ReadUInt16BigEndian(sub[(4 + primaryLength)..]);
                    if (6 + primaryLength + secondaryLength > sub.Length) throw new PduException("User Identity secondary field overruns its sub-item");
                    identity = new UserIdentity(sub[0], sub[1] == 1, primary, sub.Slice(6 + primaryLength, secondaryLength).ToArray());
                    break;
                }
                case 0x59:
                {
                    if (sub.Length < 2) throw new PduException("User Identity response sub-item too short (PS3.7 D.3.3.7.2)");
                    var length = BinaryPrimitives.ReadUInt16BigEndian(sub);
                    if (2 + length > sub.Length) throw new PduException("User Identity server response overruns its sub-item");
                    identityResponse = sub.Slice(2, length).ToArray();
                    break;
                }
            }
        }
        return new UserInformation
        {
            MaxPduLength = maxLength, ImplementationClassUid = classUid, ImplementationVersionName = version, AsyncOperationsWindow = window,
            RoleSelections = roles, ExtendedNegotiations = extended, UserIdentity = identity, UserIdentityResponse = identityResponse,
        };
    }

    /// <summary>A-ASSOCIATE-RJ (PS3.8 9.3.4): reserved, result, source, reason.</summary>
    public static AssociateReject ParseReject(ReadOnlySpan<byte> body)
    {
        if (body.Length != 4) throw new PduException($"A-ASSOCIATE-RJ of {body.Length} bytes, not 4");
        return new AssociateReject(body[1], body[2], body[3]);
    }

    /// <summary>A-ABORT (PS3.8 9.3.8): two reserved bytes, source, reason/diag.</summary>
    public static AbortPdu ParseAbort(ReadOnlySpan<byte> body)
    {
        if (body.Length != 4) throw new PduException($"A-ABORT of {body.Length} bytes, not 4");
        return new AbortPdu(body[2], body[3]);
    }

    /// <summary>
    /// The PDV items of a P-DATA-TF (PS3.8 9.3.5.1, E.2): 4-byte length, presentation context ID, message control
    /// header (bit 0: command, bit 1: last fragment), data. Values refer into <paramref name="body"/>.
    /// </summary>
    public static List<Pdv> ParseData(ReadOnlyMemory<byte> body)
    {
        var pdvs = new List<Pdv>(1);
        var span = body.Span;
        var offset = 0;
        while (offset < span.Length)
        {
            if (span.Length - offset < 6) throw new PduException("P-DATA-TF: truncated PDV item header");
            var length = BinaryPrimitives.ReadUInt32BigEndian(span[offset..]);
            if (length < 2 || length > span.Length - offset - 4) throw new PduException($"P-DATA-TF: PDV item length {length} does not fit the PDU");
            var id = span[offset + 4];
            var control = span[offset + 5];
            if ((control & 0xFC) != 0) throw new PduException($"P-DATA-TF: message control header 0x{control:X2} has reserved bits set (PS3.8 E.2)");
            pdvs.Add(new Pdv(id, (control & 1) != 0, (control & 2) != 0, body.Slice(offset + 6, (int)length - 2)));
            offset += 4 + (int)length;
        }
        if (pdvs.Count == 0) throw new PduException("P-DATA-TF without a PDV item (PS3.8 9.3.5)");
        return pdvs;
    }

    /// <summary>Items and sub-items (PS3.8 9.3.2): type, reserved, 16-bit big-endian length, value. Advances <paramref name="span"/>.</summary>
    private static byte NextItem(ref ReadOnlySpan<byte> span, out ReadOnlySpan<byte> item)
    {
        if (span.Length < 4) throw new PduException("truncated item header");
        var length = BinaryPrimitives.ReadUInt16BigEndian(span[2..]);
        if (4 + length > span.Length) throw new PduException($"item 0x{span[0]:X2} of length {length} overruns its PDU");
        var type = span[0];
        item = span.Slice(4, length);
        span = span[(4 + length)..];
        return type;
    }

    private static string PrefixedUid(ReadOnlySpan<byte> sub, out ReadOnlySpan<byte> after)
    {
        if (sub.Length < 2) throw new PduException("sub-item too short for its UID length");
        var length = BinaryPrimitives.ReadUInt16BigEndian(sub);
        if (2 + length > sub.Length) throw new PduException("UID overruns its sub-item");
        after = sub[(2 + length)..];
        return Uid(sub.Slice(2, length));
    }

    /// <summary>UIDs in PDUs are not padded (PS3.8 9.3.2.2.1) but a trailing NUL is common in the wild and tolerated.</summary>
    private static string Uid(ReadOnlySpan<byte> bytes) => Encoding.ASCII.GetString(bytes).TrimEnd('\0', ' ');

    /// <summary>AE titles are 16 bytes, space padded, leading and trailing spaces not significant (PS3.5 6.2).</summary>
    private static string AeTitle(ReadOnlySpan<byte> bytes) => Encoding.ASCII.GetString(bytes).Trim(' ', '\0');
}
