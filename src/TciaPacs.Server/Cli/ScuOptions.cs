using System.CommandLine;
using TciaPacs.Archive.Query;
using TciaPacs.Dicom;
using TciaPacs.Dicom.Network.Associations;
using TciaPacs.Dicom.Network.Client;
using TciaPacs.Dicom.Network.Pdus;

namespace TciaPacs.Server.Cli;

/// <summary>Arguments and helpers shared by the SCU verbs (echo, store, find, move, get).</summary>
internal static class ScuOptions
{
    public static Argument<string> Host() => new("host") { Description = "The peer's host name or address" };
    public static Argument<int> Port() => new("port") { Description = "The peer's DICOM port" };
    public static Option<string> CallingAe() => new("--aet") { Description = "Our (calling) AE title", DefaultValueFactory = _ => "TCIAPACS" };
    public static Option<string> CalledAe() => new("--aec") { Description = "The peer's (called) AE title", DefaultValueFactory = _ => "ANY-SCP" };
    public static Option<int> Timeout() => new("--timeout") { Description = "Seconds to wait for the association and each answer", DefaultValueFactory = _ => 30 };
    public static Option<string> Level() => new("--level", "-l") { Description = "PATIENT, STUDY, SERIES or IMAGE", DefaultValueFactory = _ => "STUDY" };
    public static Option<string> Root() => new("--root") { Description = "Information model: study (Study Root), patient (Patient Root) or, for move and get, composite (Composite Instance Root: instances by SOPInstanceUID alone)", DefaultValueFactory = _ => "study" };
    public static Argument<string[]> Keys() => new("keys") { Arity = ArgumentArity.ZeroOrMore, Description = "KEY=VALUE (keyword or tag; empty value: return key)" };

    /// <summary>User identity negotiation (PS3.7 D.3.3.7): a username, and a passcode from --password or the environment.</summary>
    public static (Option<string?> User, Option<string?> Password) Identity() =>
    (
        new Option<string?>("--user") { Description = "Identify as this user in the association request (user identity negotiation)" },
        new Option<string?>("--password") { Description = "The user's passcode (or set TCIAPACS_DICOM_PASSWORD, which ps does not show)" }
    );

    /// <summary>The user identity sub-item asked for on the command line, or null.</summary>
    public static UserIdentity? IdentityOf(ParseResult parse, (Option<string?> User, Option<string?> Password) options)
    {
        if (parse.GetValue(options.User) is not { Length: > 0 } user)
        {
            // A passcode with nobody to go with it would be dropped without a word.
            if (parse.GetValue(options.Password) != null) throw new FormatException("--password needs --user: the passcode goes with a username");
            return null;
        }
        var password = parse.GetValue(options.Password) ?? Environment.GetEnvironmentVariable("TCIAPACS_DICOM_PASSWORD");
        var name = System.Text.Encoding.UTF8.GetBytes(user);
        return password == null
            ? new UserIdentity(UserIdentity.Username, true, name, [])
            : new UserIdentity(UserIdentity.UsernameAndPasscode, true, name, System.Text.Encoding.UTF8.GetBytes(password));
    }

    public static AssociationOptions Association(int timeoutSeconds) => new()
    {
        ArtimTimeout = TimeSpan.FromSeconds(timeoutSeconds), IdleTimeout = TimeSpan.FromSeconds(Math.Max(timeoutSeconds, 60)),
        // `store` decodes what it can for a peer that accepts only native syntaxes (into the system's temporary folder).
        PixelDataDecoder = Dimse.CodecPixelDataDecoder.Instance,
    };

    public static AssociateRequest Request(string calling, string called, IEnumerable<PresentationContext> contexts, IEnumerable<RoleSelection>? roles = null,
        IEnumerable<ExtendedNegotiation>? extended = null, UserIdentity? identity = null) => new()
    {
        CallingAe = calling, CalledAe = called, PresentationContexts = contexts.ToList(),
        UserInformation = new UserInformation { RoleSelections = roles?.ToList() ?? [], ExtendedNegotiations = extended?.ToList() ?? [], UserIdentity = identity },
    };

    /// <summary>The identifier of a query or retrieve: (0008,0052) then the keys, by keyword or tag; an empty value is a return key.</summary>
    public static DicomDataset Identifier(string level, IEnumerable<string> keys)
    {
        var ds = new DicomDataset();
        ds.AddOrUpdate(DicomTags.QueryRetrieveLevel, VR.CS, DicomQuery.ParseLevel(level).ToString().ToUpperInvariant());
        foreach (var k in keys)
        {
            var eq = k.IndexOf('=', StringComparison.Ordinal);
            var tag = QueryKeyParser.ParseTag(eq < 0 ? k : k[..eq]);
            var value = eq < 0 ? "" : k[(eq + 1)..];
            var vr = ds.ResolveVR(tag);
            if (vr == VR.SQ) ds.Add(new DicomSequence(tag));
            else if (value.Length == 0) ds.AddOrUpdate(tag, vr, Array.Empty<byte>());
            else ds.AddOrUpdate(tag, vr, value.Split('\\'));
        }
        if (ds.GetString(DicomTags.SpecificCharacterSet) == null && keys.Any(k => k.Any(c => c > 127))) ds.AddOrUpdate(DicomTags.SpecificCharacterSet, VR.CS, "ISO_IR 192");
        return ds;
    }

    /// <summary>Runs an SCU action, turning network failures into a message and exit status 1.</summary>
    public static int Run(Func<CancellationToken, Task<int>> action)
    {
        using var cts = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; cts.Cancel(); };
        try
        {
            return action(cts.Token).GetAwaiter().GetResult();
        }
        catch (AssociationRejectedException ex)
        {
            Console.Error.WriteLine($"error: {ex.Message}");
            return 1;
        }
        catch (Exception ex) when (ex is AssociationAbortedException or IOException or System.Net.Sockets.SocketException or OperationCanceledException or QueryException or FormatException)
        {
            Console.Error.WriteLine($"error: {ex.Message}");
            return 1;
        }
    }

    /// <summary>The files named, folders expanded recursively in ordinal order.</summary>
    public static IEnumerable<string> Files(IEnumerable<string> paths) =>
        paths.SelectMany<string, string>(p => Directory.Exists(p) ? Directory.EnumerateFiles(p, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal) : [p]);

    public static string Status(ushort status) => "0x" + status.ToString("X4", System.Globalization.CultureInfo.InvariantCulture);
}
