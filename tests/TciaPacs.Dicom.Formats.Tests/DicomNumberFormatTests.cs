using System.Globalization;
using NUnit.Framework;

namespace TciaPacs.Dicom.Formats.Tests;

[TestFixture]
public sealed class DicomNumberFormatTests
{
    [TestCase(0.0, "0")]
    [TestCase(1.5, "1.5")]
    [TestCase(-0.25, "-0.25")]
    [TestCase(1e-20, "1E-20")]
    [TestCase(1.0 / 3, "0.33333333333333")]
    [TestCase(-1.0 / 3, "-0.3333333333333")]
    [TestCase(123456789012345678.0, "1.23456789012E17")]
    [TestCase(2.5e-7, "2.5E-7")]
    public void DecimalStringsFitSixteenCharacters(double value, string expected)
    {
        var s = DicomNumberFormat.FormatDS(value);
        Assert.That(s, Is.EqualTo(expected));
        Assert.That(s.Length, Is.LessThanOrEqualTo(16));
    }

    [Test]
    public void DecimalStringsAreAsPreciseAsSixteenCharactersAllow()
    {
        var random = new Random(1234);
        for (var i = 0; i < 10000; i++)
        {
            var v = (random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-30, 30));
            var s = DicomNumberFormat.FormatDS(v);
            Assert.That(s.Length, Is.LessThanOrEqualTo(16), s);
            var back = double.Parse(s, CultureInfo.InvariantCulture);
            Assert.That(back, Is.EqualTo(v).Within(Math.Abs(v) * 1e-9), s);
        }
        Assert.That(() => DicomNumberFormat.FormatDS(double.NaN), Throws.InstanceOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public void IntegerStringsAreThirtyTwoBitSigned()
    {
        Assert.That(DicomNumberFormat.FormatIS(-2147483648), Is.EqualTo("-2147483648"));
        Assert.That(() => DicomNumberFormat.FormatIS(2147483648), Throws.InstanceOf<ArgumentOutOfRangeException>());
    }

    [TestCase("0", true)]
    [TestCase("-1.50", true)]
    [TestCase("1e3", true)]
    [TestCase("1E-07", true)]
    [TestCase("+1", false)]
    [TestCase("01", false)]
    [TestCase(".5", false)]
    [TestCase("1.", false)]
    [TestCase("NaN", false)]
    [TestCase("", false)]
    [TestCase("-", false)]
    [TestCase("1e", false)]
    public void JsonNumberGrammar(string text, bool expected) => Assert.That(DicomNumberFormat.IsJsonNumber(text), Is.EqualTo(expected));
}
