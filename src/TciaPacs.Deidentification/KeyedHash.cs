using System.Globalization;
using System.Numerics;
using System.Security.Cryptography;
using System.Text;

namespace TciaPacs.Deidentification;

/// <summary>
/// HMAC-SHA256 under the collection's secret: without the secret a pseudonym cannot be recomputed from a guessed
/// original (a plain hash of a UID or a patient ID could be).
/// </summary>
public sealed class KeyedHash(byte[] secret)
{
    private readonly byte[] _secret = secret.Length >= 16 ? secret : throw new ArgumentException("the de-identification secret must be at least 16 bytes", nameof(secret));

    public byte[] Hash(string domain, string value) => HMACSHA256.HashData(_secret, Encoding.UTF8.GetBytes(domain + "\u001f" + value));

    /// <summary>A UID under 2.25 (PS3.5 B.2: the decimal form of a 128-bit number) derived from the original UID.</summary>
    public string Uid(string original)
    {
        var h = Hash("uid", original);
        return "2.25." + new BigInteger(h.AsSpan(0, 16), isUnsigned: true, isBigEndian: true).ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>Upper-case hex digits of the hash, at most <paramref name="length"/> of them.</summary>
    public string Hex(string domain, string value, int length) => Convert.ToHexString(Hash(domain, value))[..Math.Min(64, length)];

    /// <summary>A number of days in [1, <paramref name="max"/>] derived from the value.</summary>
    public int Days(string domain, string value, int max) =>
        1 + (int)(BitConverter.ToUInt32(Hash(domain, value), 0) % (uint)Math.Max(1, max));
}
