using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using WechatGateway.Wechat.Messages;

namespace WechatGateway.Wechat.Tests.Messages;

public sealed class WechatXmlTests
{
    private const string BillionLaughs = """
        <?xml version="1.0"?>
        <!DOCTYPE lolz [
          <!ENTITY lol "lol">
          <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
          <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
          <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
          <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
          <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
          <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
          <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
          <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
          <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
        ]>
        <xml><ToUserName>gh_x</ToUserName><FromUserName>o_x</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType><Content>&lol9;</Content></xml>
        """;

    [Test]
    public void DirectChildrenBecomeFields()
    {
        var document = WechatXml.Parse(DocSamples.Text);

        Assert.Multiple(() =>
        {
            Assert.That(document.Fields, Has.Count.EqualTo(8));
            Assert.That(document["ToUserName"], Is.EqualTo("toUser"));
            Assert.That(document["CreateTime"], Is.EqualTo("1348831860"));
            Assert.That(document["Content"], Is.EqualTo("this is a test"));
            Assert.That(document["content"], Is.Null, "field names are ordinal");
            Assert.That(document["Missing"], Is.Null);
            Assert.That(document.Root.Name.LocalName, Is.EqualTo("xml"));
        });
    }

    [Test]
    public void FieldTextIsKeptExactly()
    {
        var document = WechatXml.Parse("<xml>\n  <Content><![CDATA[  two  spaces\n]]></Content>\n  <Escaped>a &lt;b&gt; &amp; c</Escaped><Blank>   </Blank></xml>");

        Assert.Multiple(() =>
        {
            Assert.That(document["Content"], Is.EqualTo("  two  spaces\n"));
            Assert.That(document["Escaped"], Is.EqualTo("a <b> & c"));
            Assert.That(document["Blank"], Is.EqualTo("   "));
            Assert.That(document.Fields, Has.Count.EqualTo(3));
        });
    }

    [Test]
    public void NestedElementsStayReachable()
    {
        var document = WechatXml.Parse(DocSamples.ScanCodePush);

        var info = document.Element("ScanCodeInfo");

        Assert.Multiple(() =>
        {
            Assert.That(info, Is.Not.Null);
            Assert.That(info!.Element("ScanType")?.Value, Is.EqualTo("qrcode"));
            Assert.That(info.Element("ScanResult")?.Value, Is.EqualTo("1"));
            Assert.That(document.Element("Absent"), Is.Null);
        });
    }

    [Test]
    public void Utf8BytesWithByteOrderMarkParse()
    {
        var bytes = Encoding.UTF8.GetPreamble().Concat(Encoding.UTF8.GetBytes(DocSamples.VoiceWithRecognition)).ToArray();

        var document = WechatXml.Parse(bytes);

        Assert.That(document["Recognition"], Is.EqualTo("腾讯微信团队"));
    }

    [Test]
    public void JsonBodyBecomesTheSameDocumentAsXml()
    {
        const string json = """
              {"ToUserName":"gh_x","CreateTime":1482048670,"MsgId":123456789012345678901234567890,"Ratio":1.50,
               "On":true,"Nothing":null,"Text":"a <b> & \"c\"",
               "Info":{"ScanType":"qrcode","Pics":[{"PicMd5Sum":"m1"},{"PicMd5Sum":"m2"}]},
               "List":[{"TemplateId":"T1"},{"TemplateId":"T2"}]}
            """;

        var document = WechatXml.Parse(json);

        Assert.Multiple(() =>
        {
            Assert.That(document.Root.Name.LocalName, Is.EqualTo("xml"));
            Assert.That(document["ToUserName"], Is.EqualTo("gh_x"));
            Assert.That(document["CreateTime"], Is.EqualTo("1482048670"));
            Assert.That(document["MsgId"], Is.EqualTo("123456789012345678901234567890"), "numbers keep their exact text");
            Assert.That(document["Ratio"], Is.EqualTo("1.50"));
            Assert.That(document["On"], Is.EqualTo("true"));
            Assert.That(document["Nothing"], Is.Empty);
            Assert.That(document["Text"], Is.EqualTo("a <b> & \"c\""));
            Assert.That(document.Element("Info")?.Element("ScanType")?.Value, Is.EqualTo("qrcode"));
            Assert.That(document.Element("Info")?.Elements("Pics").Select(p => p.Element("PicMd5Sum")?.Value), Is.EqualTo(new[] { "m1", "m2" }));
            Assert.That(document.Root.Elements("List").Select(l => l.Element("TemplateId")?.Value), Is.EqualTo(new[] { "T1", "T2" }));
            Assert.That(document["List"], Is.EqualTo("T1"), "the first of repeated elements is the field");
        });
    }

    [Test]
    public void EncryptedJsonEnvelopeCarriesItsEncrypt()
    {
        var document = WechatXml.Parse("""{"ToUserName":"gh_x","Encrypt":"c2VjcmV0"}""");

        Assert.That(document["Encrypt"], Is.EqualTo("c2VjcmV0"));
    }

    [Test]
    public void JsonUtf8BytesWithByteOrderMarkAndLeadingBlanksParse()
    {
        var bytes = Encoding.UTF8.GetPreamble().Concat(Encoding.UTF8.GetBytes("\r\n  {\"Content\":\"腾讯微信团队\"}")).ToArray();

        Assert.That(WechatXml.Parse(bytes)["Content"], Is.EqualTo("腾讯微信团队"));
    }

    [TestCase("{\"ToUserName\":\"gh_x\"")]
    [TestCase("{\"ToUserName\":\"gh_x\",}")]
    [TestCase("{\"ToUserName\": gh_x}")]
    [TestCase("{} trailing")]
    public void MalformedJsonIsRefused(string json)
    {
        Assert.That(() => WechatXml.Parse(json), Throws.TypeOf<WechatXmlException>().With.Message.Contains("JSON"));
    }

    [Test]
    public void JsonNestedBeyondTheDepthLimitIsRefused()
    {
        var depth = WechatXml.MaxJsonDepth + 1;
        var json = string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + new string('}', depth);

        Assert.That(() => WechatXml.Parse(json), Throws.TypeOf<WechatXmlException>().With.Message.Contains("JSON"));
    }

    [Test]
    public void JsonWithinTheDepthLimitParses()
    {
        var depth = WechatXml.MaxJsonDepth;
        var json = string.Concat(Enumerable.Repeat("{\"a\":", depth - 1)) + "{\"b\":\"deep\"" + new string('}', depth);

        Assert.That(WechatXml.Parse(json).Root.Descendants("b").Single().Value, Is.EqualTo("deep"));
    }

    [Test]
    public void JsonOverTheSizeLimitIsRefusedAsOversize()
    {
        var json = "{\"Content\":\"" + new string('a', WechatXml.MaxBodyBytes) + "\"}";

        Assert.That(() => WechatXml.Parse(Encoding.UTF8.GetBytes(json)), Throws.TypeOf<WechatXmlException>().With.Property(nameof(WechatXmlException.IsOversize)).True);
    }

    [Test]
    public void JsonControlCharactersXmlCannotCarryAreDropped()
    {
        Assert.That(WechatXml.Parse("{\"Content\":\"a\\u0001b\"}")["Content"], Is.EqualTo("ab"));
    }

    [Test]
    public void InvalidUtf8IsRefused()
    {
        byte[] bytes = [.. Encoding.UTF8.GetBytes("<xml><Content>"), 0xC3, 0x28, .. Encoding.UTF8.GetBytes("</Content></xml>")];

        Assert.That(() => WechatXml.Parse(bytes), Throws.TypeOf<WechatXmlException>().With.Message.Contains("UTF-8"));
    }

    [Test]
    public void DoctypeIsRefused()
    {
        const string xml = "<!DOCTYPE xml><xml><ToUserName>gh_x</ToUserName></xml>";

        Assert.That(() => WechatXml.Parse(xml), Throws.TypeOf<WechatXmlException>().With.Message.Contains("DTD"));
    }

    [Test]
    public void DoctypeAfterDeclarationAndCommentIsRefused()
    {
        const string xml = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<!-- hello -->\n<!doctype xml []><xml/>";

        Assert.That(() => WechatXml.Parse(xml), Throws.TypeOf<WechatXmlException>().With.Message.Contains("DTD"));
    }

    [Test]
    public void DoctypeAsMessageTextIsOnlyText()
    {
        // A user may well type "<!DOCTYPE": inside the document it is content, not a declaration.
        var document = WechatXml.Parse("<xml><Content><![CDATA[<!DOCTYPE html> is how pages start]]></Content></xml>");

        Assert.That(document["Content"], Is.EqualTo("<!DOCTYPE html> is how pages start"));
    }

    [Test]
    public void BillionLaughsIsRefusedQuickly()
    {
        var stopwatch = Stopwatch.StartNew();

        Assert.That(() => WechatXml.Parse(BillionLaughs), Throws.TypeOf<WechatXmlException>().With.Message.Contains("DTD"));
        Assert.That(stopwatch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(1)));
    }

    [Test]
    public void ExternalFileEntityIsRefusedAndNeverRead()
    {
        var secretFile = Path.GetTempFileName();
        var marker = "secret-" + Guid.NewGuid().ToString("N");
        File.WriteAllText(secretFile, marker);
        try
        {
            var xxe = $"""
                <?xml version="1.0"?>
                <!DOCTYPE xml [<!ENTITY xxe SYSTEM "file://{secretFile}">]>
                <xml><ToUserName>gh_x</ToUserName><FromUserName>o_x</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType><Content>&xxe;</Content></xml>
                """;

            var error = Assert.Throws<WechatXmlException>(() => WechatXml.Parse(xxe));
            Assert.That(error!.Message, Does.Not.Contain(marker));
        }
        finally
        {
            File.Delete(secretFile);
        }
    }

    [Test]
    public void ExternalPasswdEntityIsRefused()
    {
        const string xxe = """
            <!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
            <xml><Content>&xxe;</Content></xml>
            """;

        var error = Assert.Throws<WechatXmlException>(() => WechatXml.Parse(xxe));
        Assert.That(error!.Message, Does.Not.Contain("root:"));
    }

    [Test]
    public void ExternalEntityUrlIsNeverFetched()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var xxe = $"""
            <!DOCTYPE xml [<!ENTITY % remote SYSTEM "http://127.0.0.1:{port}/dtd"> %remote; <!ENTITY xxe SYSTEM "http://127.0.0.1:{port}/x">]>
            <xml><Content>&xxe;</Content></xml>
            """;

        Assert.That(() => WechatXml.Parse(xxe), Throws.TypeOf<WechatXmlException>());
        Thread.Sleep(100);
        Assert.That(listener.Pending(), Is.False, "the parser connected to the entity's URL");
    }

    [Test]
    public void UndeclaredEntityIsRefused()
    {
        Assert.That(
            () => WechatXml.Parse("<xml><Content>&xxe;</Content></xml>"),
            Throws.TypeOf<WechatXmlException>().With.Message.Contains("not well-formed"));
    }

    [Test]
    public void TruncatedXmlIsRefused()
    {
        var truncated = DocSamples.Text[..(DocSamples.Text.Length / 2)];

        Assert.That(
            () => WechatXml.Parse(truncated),
            Throws.TypeOf<WechatXmlException>().With.Message.Contains("not well-formed"));
    }

    [TestCase("<root><ToUserName>gh_x</ToUserName></root>", "<root>")]
    [TestCase("<Xml><ToUserName>gh_x</ToUserName></Xml>", "<Xml>")]
    [TestCase("<xml xmlns=\"urn:other\"><ToUserName>gh_x</ToUserName></xml>", "<xml>")]
    public void RootOtherThanXmlIsRefused(string xml, string named)
    {
        Assert.That(() => WechatXml.Parse(xml), Throws.TypeOf<WechatXmlException>().With.Message.Contains(named));
    }

    [TestCase("")]
    [TestCase("   \n ")]
    [TestCase(null)]
    public void EmptyBodyIsRefused(string? xml)
    {
        Assert.That(() => WechatXml.Parse(xml!), Throws.TypeOf<WechatXmlException>().With.Message.Contains("empty"));
    }

    [Test]
    public void EmptyByteBodyIsRefused()
    {
        Assert.That(() => WechatXml.Parse(ReadOnlySpan<byte>.Empty), Throws.TypeOf<WechatXmlException>());
    }

    [Test]
    public void BodyOfExactlyTheLimitIsAccepted()
    {
        var xml = BodyOfBytes(WechatXml.MaxBodyBytes);

        Assert.That(WechatXml.Parse(Encoding.UTF8.GetBytes(xml))["MsgType"], Is.EqualTo("text"));
    }

    [Test]
    public void OversizeBodyIsRefused()
    {
        var xml = BodyOfBytes(WechatXml.MaxBodyBytes + 1);

        Assert.Multiple(() =>
        {
            var fromString = Assert.Throws<WechatXmlException>(() => WechatXml.Parse(xml));
            var fromBytes = Assert.Throws<WechatXmlException>(() => WechatXml.Parse(Encoding.UTF8.GetBytes(xml)));
            Assert.That(fromString!.IsOversize, Is.True);
            Assert.That(fromBytes!.IsOversize, Is.True);
        });
    }

    [Test]
    public void OversizeIsMeasuredInBytesNotCharacters()
    {
        // 30,000 Chinese characters are fewer than 64 Ki characters but 90,000 bytes on the wire.
        var xml = $"<xml><Content>{new string('中', 30_000)}</Content></xml>";

        Assert.That(() => WechatXml.Parse(xml), Throws.TypeOf<WechatXmlException>().With.Property(nameof(WechatXmlException.IsOversize)).True);
    }

    [Test]
    public void MalformedBodyIsNotReportedAsOversize()
    {
        var error = Assert.Throws<WechatXmlException>(() => WechatXml.Parse("<xml><a></xml>"));

        Assert.That(error!.IsOversize, Is.False);
    }

    /// <summary>A well-formed text push of exactly <paramref name="bytes"/> UTF-8 bytes.</summary>
    private static string BodyOfBytes(int bytes)
    {
        const string head = "<xml><ToUserName>gh_x</ToUserName><FromUserName>o_x</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType><Content>";
        const string tail = "</Content></xml>";
        var xml = head + new string('a', bytes - head.Length - tail.Length) + tail;
        Assert.That(Encoding.UTF8.GetByteCount(xml), Is.EqualTo(bytes));
        return xml;
    }
}
