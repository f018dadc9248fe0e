namespace WechatGateway.Wechat.Tests;

/// <summary>
/// Known-answer vectors from WeChat's message-encryption sample code (WXBizMsgCrypt, SampleCode.zip of the
/// 消息加解密 documentation), copied byte for byte. Each was also checked against an independent
/// computation (Python + cryptography) before being written down here.
/// </summary>
internal static class OfficialSamples
{
    /// <summary>The EncodingAESKey every official-account sample uses.</summary>
    public const string EncodingAesKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";

    /// <summary>Java WXBizMsgCryptTest.testAesEncrypt / testAesEncrypt2: fixed random prefix "aaaabbbbccccdddd".</summary>
    public static class JavaEncrypt
    {
        public const string Token = "pamtest";
        public const string AppId = "wxb11529c136998cb6";
        public const string Timestamp = "1409304348";
        public const string Nonce = "xxxxxx";
        public const string Random = "aaaabbbbccccdddd";

        public const string ReplyMsg = "我是中文abcd123";
        public const string AfterAesEncrypt = "jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg==";

        public const string ReplyMsg2 = "<xml><ToUserName><![CDATA[oia2Tj我是中文jewbmiOUlr6X-1crbLOvLw]]></ToUserName><FromUserName><![CDATA[gh_7f083739789a]]></FromUserName><CreateTime>1407743423</CreateTime><MsgType><![CDATA[video]]></MsgType><Video><MediaId><![CDATA[eYJ1MbwPRJtOvIEabaxHs7TX2D-HV71s79GUxqdUkjm6Gs2Ed1KF3ulAOA9H1xG0]]></MediaId><Title><![CDATA[testCallBackReplyVideo]]></Title><Description><![CDATA[testCallBackReplyVideo]]></Description></Video></xml>";
        public const string AfterAesEncrypt2 = "jn1L23DB+6ELqJ+6bruv23M2GmYfkv0xBh2h+XTBOKVKcgDFHle6gqcZ1cZrk3e1qjPQ1F4RsLWzQRG9udbKWesxlkupqcEcW7ZQweImX9+wLMa0GaUzpkycA8+IamDBxn5loLgZpnS7fVAbExOkK5DYHBmv5tptA9tklE/fTIILHR8HLXa5nQvFb3tYPKAlHF3rtTeayNf0QuM+UW/wM9enGIDIJHF7CLHiDNAYxr+r+OrJCmPQyTy8cVWlu9iSvOHPT/77bZqJucQHQ04sq7KZI27OcqpQNSto2OdHCoTccjggX5Z9Mma0nMJBU+jLKJ38YB1fBIz+vBzsYjrTmFQ44YfeEuZ+xRTQwr92vhA9OxchWVINGC50qE/6lmkwWTwGX9wtQpsJKhP+oS7rvTY8+VdzETdfakjkwQ5/Xka042OlUb1/slTwo4RscuQ+RdxSGvDahxAJ6+EAjLt9d8igHngxIbf6YyqqROxuxqIeIch3CssH/LqRs+iAcILvApYZckqmA7FNERspKA5f8GoJ9sv8xmGvZ9Yrf57cExWtnX8aCMMaBropU/1k+hKP5LVdzbWCG0hGwx/dQudYR/eXp3P0XxjlFiy+9DMlaFExWUZQDajPkdPrEeOwofJb";
    }

    /// <summary>Python Sample.py: a safe-mode text push with its msg_signature.</summary>
    public static class PythonDecrypt
    {
        public const string Token = "spamtest";
        public const string AppId = "wx2c2769f8efd9abc2";
        public const string Timestamp = "1409735669";
        public const string Nonce = "1320562132";
        public const string MsgSignature = "5d197aaffba7e9b25a30732f161a50dee96bd5fa";
        public const string Encrypt = "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE=";

        // The decrypted push keeps WeChat's newlines between elements: decryption must not trim or normalise.
        public const string Plaintext = "<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName>\n<FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></FromUserName>\n<CreateTime>1409735668</CreateTime>\n<MsgType><![CDATA[text]]></MsgType>\n<Content><![CDATA[abcdteT]]></Content>\n<MsgId>6054768590064713728</MsgId>\n</xml>";
    }

    /// <summary>C++ Sample.cpp: another safe-mode text push with its msg_signature.</summary>
    public static class CppDecrypt
    {
        public const string Token = "spamtest";
        public const string AppId = "wx2c2769f8efd9abc2";
        public const string Timestamp = "1410349438";
        public const string Nonce = "298025754";
        public const string MsgSignature = "003fee52ecc56afb46c00b5c7721be87860ce785";
        public const string Encrypt = "mfBCs65c67CeJw22u4VT2TD73q5H06+ocrAIxswCaeZ/d/Lw0msSZFHY0teqgSYiI1zR2gD2DKrB3TIrmX/liNSDrGqS8jSI/WPeKB5VPr7Ezr7gomZAyGCwJSgT1TRFWPfONGJMxuj2nk4faTuspAuVIFQ6SHwZuJBZC7mcJp7Cgr9cUhATQWDbOPaE7ukZBTV2YqyzH+UI2AK+J1S47cE79k1RX8t0hcTz/O0hlK8DGXKnvYv88qKQcI7z4iaajqHfRVZKBNyOODabs+It+ZfM3dWTeFcPgDbGtIEnpt/EDtuuA/zMvtkaKdHdswPnVZQ+xdwbYr3ldGvfT8HlEYEgkgKaThxTFobVlwzu2ZkXCjicbP3xdr15Iq48ObgzPpqYuZ3IEoyggZDKClquk0u0orMck4GTF/XyE8yGzc4=";
        public const string Plaintext = "<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName>\n<FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></FromUserName>\n<CreateTime>1410349438</CreateTime>\n<MsgType><![CDATA[text]]></MsgType>\n<Content><![CDATA[abcdteT]]></Content>\n<MsgId>6057404712141979648</MsgId>\n</xml>";
    }

    /// <summary>
    /// Java WXBizMsgCryptTest.testVerifyUrl (the WeCom sample, same algorithm, the CorpID in the AppId slot):
    /// a safe-mode URL verification whose echostr decrypts to a number.
    /// </summary>
    public static class VerifyUrl
    {
        public const string Token = "QDG6eK";
        public const string EncodingAesKey = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";
        public const string ReceiveId = "wx5823bf96d3bd56c7";
        public const string Timestamp = "1409659589";
        public const string Nonce = "263014780";
        public const string MsgSignature = "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3";
        public const string EchoStr = "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==";
        public const string EchoPlaintext = "1616140317555161061";
    }

    /// <summary>
    /// Plain URL verification. WeChat's documentation gives the algorithm but no worked example, so this vector was
    /// computed independently: printf '%s' 1409304348pamtestxxxxxx | sha1sum (the three values sorted, concatenated).
    /// </summary>
    public static class PlainSignature
    {
        public const string Token = "pamtest";
        public const string Timestamp = "1409304348";
        public const string Nonce = "xxxxxx";
        public const string Signature = "76480565cbe296026c53aaacd1ad523a1ddba24f";
    }
}
