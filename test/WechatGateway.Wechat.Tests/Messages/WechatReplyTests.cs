using WechatGateway.Wechat.Messages;

namespace WechatGateway.Wechat.Tests.Messages;

public sealed class WechatReplyTests
{
    private static readonly DateTimeOffset _now = DateTimeOffset.FromUnixTimeSeconds(12345678);

    [Test]
    public void TextReplyHasWechatsShape()
    {
        var xml = WechatReply.Text("toUser", "fromUser", "你好", _now);

        Assert.That(xml, Is.EqualTo(
            "<xml><ToUserName><![CDATA[toUser]]></ToUserName><FromUserName><![CDATA[fromUser]]></FromUserName>"
            + "<CreateTime>12345678</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[你好]]></Content></xml>"));
    }

    [Test]
    public void CreateTimeIsInSeconds()
    {
        var xml = WechatReply.Text("o", "gh", "x", new DateTimeOffset(2024, 5, 1, 8, 0, 0, 999, TimeSpan.FromHours(8)));

        Assert.That(WechatXml.Parse(xml)["CreateTime"], Is.EqualTo("1714521600"));
    }

    [TestCase("a]]>b")]
    [TestCase("]]>")]
    [TestCase("]]]]>>]]>")]
    [TestCase("<b>&amp;</b> ]]> <![CDATA[ nested ]]>")]
    public void CDataTerminatorInContentSurvivesTheRoundTrip(string content)
    {
        var reply = WechatReply.Text("oUser", "gh_account", content, _now);

        var parsed = WechatPushParser.Parse(reply);

        Assert.Multiple(() =>
        {
            Assert.That(parsed, Is.TypeOf<TextMessage>());
            Assert.That(((TextMessage)parsed).Content, Is.EqualTo(content));
            Assert.That(parsed.ToUserName, Is.EqualTo("oUser"));
            Assert.That(parsed.CreateTime, Is.EqualTo(12345678L));
        });
    }

    [Test]
    public void CharactersXmlCannotCarryAreDropped()
    {
        var reply = WechatReply.Text("o", "gh", "a\u0001b\u0000c\uD800d 😀", _now);

        Assert.That(WechatXml.Parse(reply)["Content"], Is.EqualTo("abcd 😀"));
    }

    [Test]
    public void ImageReplyCarriesTheMediaId()
    {
        var document = WechatXml.Parse(WechatReply.Image("o", "gh", "media]]>id", _now));

        Assert.Multiple(() =>
        {
            Assert.That(document["MsgType"], Is.EqualTo("image"));
            Assert.That(document.Element("Image")?.Element("MediaId")?.Value, Is.EqualTo("media]]>id"));
        });
    }

    [Test]
    public void VoiceReplyCarriesTheMediaId()
    {
        var document = WechatXml.Parse(WechatReply.Voice("o", "gh", "voice_media", _now));

        Assert.Multiple(() =>
        {
            Assert.That(document["MsgType"], Is.EqualTo("voice"));
            Assert.That(document.Element("Voice")?.Element("MediaId")?.Value, Is.EqualTo("voice_media"));
        });
    }

    [Test]
    public void VideoReplyLeavesOutMissingTitleAndDescription()
    {
        var full = WechatXml.Parse(WechatReply.Video("o", "gh", "m", "title", "desc", _now)).Element("Video")!;
        var bare = WechatXml.Parse(WechatReply.Video("o", "gh", "m", null, null, _now)).Element("Video")!;

        Assert.Multiple(() =>
        {
            Assert.That(full.Elements().Select(e => e.Name.LocalName), Is.EqualTo(new[] { "MediaId", "Title", "Description" }));
            Assert.That(full.Element("Title")?.Value, Is.EqualTo("title"));
            Assert.That(bare.Elements().Select(e => e.Name.LocalName), Is.EqualTo(new[] { "MediaId" }));
        });
    }

    [Test]
    public void MusicReplyRequiresOnlyTheThumbnail()
    {
        var full = WechatXml.Parse(WechatReply.Music("o", "gh", "t", "d", "http://m", "http://hq", "thumb", _now));
        var bare = WechatXml.Parse(WechatReply.Music("o", "gh", null, null, null, null, "thumb", _now)).Element("Music")!;

        Assert.Multiple(() =>
        {
            Assert.That(full["MsgType"], Is.EqualTo("music"));
            Assert.That(
                full.Element("Music")!.Elements().Select(e => e.Name.LocalName),
                Is.EqualTo(new[] { "Title", "Description", "MusicUrl", "HQMusicUrl", "ThumbMediaId" }));
            Assert.That(full.Element("Music")!.Element("HQMusicUrl")?.Value, Is.EqualTo("http://hq"));
            Assert.That(bare.Elements().Select(e => e.Name.LocalName), Is.EqualTo(new[] { "ThumbMediaId" }));
        });
    }

    [Test]
    public void NewsReplyListsItsArticles()
    {
        var articles = new[]
        {
            new NewsArticle("标题 ]]> 1", "描述", "http://pic/1", "http://url/1"),
            new NewsArticle("Title 2", "Description 2", "http://pic/2", "http://url/2"),
        };

        var document = WechatXml.Parse(WechatReply.News("o", "gh", articles, _now));
        var items = document.Element("Articles")!.Elements("item").ToList();

        Assert.Multiple(() =>
        {
            Assert.That(document["MsgType"], Is.EqualTo("news"));
            Assert.That(document["ArticleCount"], Is.EqualTo("2"));
            Assert.That(items, Has.Count.EqualTo(2));
            Assert.That(items[0].Element("Title")?.Value, Is.EqualTo("标题 ]]> 1"));
            Assert.That(items[1].Element("Url")?.Value, Is.EqualTo("http://url/2"));
            Assert.That(items[1].Element("PicUrl")?.Value, Is.EqualTo("http://pic/2"));
        });
    }

    [TestCase(1)]
    [TestCase(8)]
    public void NewsReplyAcceptsOneToEightArticles(int count)
    {
        var articles = Enumerable.Range(1, count).Select(i => new NewsArticle($"t{i}", "d", "p", "u")).ToList();

        Assert.That(WechatXml.Parse(WechatReply.News("o", "gh", articles, _now))["ArticleCount"], Is.EqualTo(count.ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }

    [TestCase(0)]
    [TestCase(9)]
    public void NewsReplyRefusesOtherArticleCounts(int count)
    {
        var articles = Enumerable.Range(1, count).Select(i => new NewsArticle($"t{i}", "d", "p", "u")).ToList();

        Assert.That(() => WechatReply.News("o", "gh", articles, _now), Throws.ArgumentException.With.Message.Contains("1 to 8"));
    }

    [Test]
    public void ReplyWithoutRecipientIsRefused()
    {
        Assert.That(() => WechatReply.Text("", "gh", "x", _now), Throws.ArgumentException);
    }
}
