using System.Text.Json;
using Hive.Files.ObjectStores;

namespace Hive.Files.Tests.ObjectStore;

/// <summary>What an object-store mount's lines for the daemon's log keep and lose (<see cref="StoreLogRedactor"/>).</summary>
public class StoreLogRedactorTests
{
    [Fact]
    public void An_s3_key_pair_is_hidden_whole_and_in_parts()
    {
        var redactor = new StoreLogRedactor("AKIAHIVETESTKEY00001:wJalrXUtnFEMI/K7MDENG/bPxRfiCYHIVETESTKEY");
        var line = redactor.Apply("object store: a.txt: s3:127.0.0.1:9000/b answered 403 InvalidAccessKeyId: key AKIAHIVETESTKEY00001 "
                                  + "(secret wJalrXUtnFEMI/K7MDENG/bPxRfiCYHIVETESTKEY, AKIAHIVETESTKEY00001:wJalrXUtnFEMI/K7MDENG/bPxRfiCYHIVETESTKEY)");
        Assert.Equal("object store: a.txt: s3:127.0.0.1:9000/b answered 403 InvalidAccessKeyId: key **** (secret ****, ****)", line);
    }

    [Fact]
    public void An_s3_json_credential_loses_its_key_id_secret_and_session_token()
    {
        var json = """{ "accessKeyId": "AKIAHIVEJSONKEY", "secretAccessKey": "hiveJsonSecretValue", "sessionToken": "hiveSessionTokenValue" }""";
        var line = new StoreLogRedactor(json).Apply("AKIAHIVEJSONKEY hiveJsonSecretValue hiveSessionTokenValue accessKeyId");
        Assert.Equal("**** **** **** accessKeyId", line);
    }

    [Fact]
    public void An_azure_connection_string_loses_its_account_key_and_signature_but_not_its_account_or_endpoint()
    {
        var key = Convert.ToBase64String(new byte[64].Select((_, i) => (byte)(i * 7)).ToArray());
        var redactor = new StoreLogRedactor($"DefaultEndpointsProtocol=http;AccountName=hiveacct;AccountKey={key};BlobEndpoint=http://127.0.0.1:10000/hiveacct;");
        Assert.Equal("object store: azure:127.0.0.1:10000/hiveacct/c could not be reached; key ****",
            redactor.Apply($"object store: azure:127.0.0.1:10000/hiveacct/c could not be reached; key {key}"));
        var sas = new StoreLogRedactor("BlobEndpoint=https://hiveacct.blob.core.example.test;SharedAccessSignature=sv=2024-11-04&ss=b&sig=hiveSasSignatureValue%3D");
        Assert.Equal("signature ****", sas.Apply("signature hiveSasSignatureValue%3D"));
    }

    [Fact]
    public void A_service_account_key_is_hidden_whole_escaped_or_line_by_line_and_its_email_stays()
    {
        var json = GcsServiceAccount.Json;
        var redactor = new StoreLogRedactor(json);
        var pem = GcsServiceAccount.PrivateKeyPem;
        var keyId = JsonDocument.Parse(json).RootElement.GetProperty("private_key_id").GetString()!;
        var line = redactor.Apply($"gcs: {GcsServiceAccount.ClientEmail} refused; {pem} {JsonEncodedText.Encode(pem)} {keyId} {json}");
        Assert.Contains(GcsServiceAccount.ClientEmail, line);
        var lines = pem.Split('\n').Where(l => l.Length >= 16 && !l.StartsWith("-----", StringComparison.Ordinal)).ToList();
        Assert.Contains(lines, l => l.Contains('+')); // so the escaped form differs from the raw one
        foreach (var part in lines.Concat(lines.Select(l => JsonEncodedText.Encode(l).ToString())).Append(keyId))
            Assert.DoesNotContain(part, line);
    }

    [Fact]
    public void A_url_keeps_its_path_and_loses_its_query()
    {
        var redactor = new StoreLogRedactor(null);
        Assert.Equal("PUT https://b.s3.example.test/k/a.txt?**** failed",
            redactor.Apply("PUT https://b.s3.example.test/k/a.txt?X-Amz-Signature=abc123&X-Amz-Credential=AKIAX%2F20261207 failed"));
        Assert.Equal("session http://127.0.0.1:9199/upload/storage/v1/b/x/o?**** lost",
            redactor.Apply("session http://127.0.0.1:9199/upload/storage/v1/b/x/o?uploadType=resumable&upload_id=hiveUploadId lost"));
    }

    [Fact]
    public void Lines_without_secrets_are_kept_and_anonymous_is_not_a_secret()
    {
        const string line = "object store: d/a.txt still pending: gcs:127.0.0.1:9199/b could not be reached: Connection refused (127.0.0.1:9199), anonymous";
        Assert.Equal(line, new StoreLogRedactor("anonymous").Apply(line));
        Assert.Equal(line, new StoreLogRedactor(null).Apply(line));
        Assert.Equal(line, new StoreLogRedactor("S3RVER:S3RVER").Apply(line));
    }
}
