using System.Security.Cryptography;
using System.Text;
using Hive.Core.Secrets;

namespace Hive.Core.Tests.Secrets;

public sealed class VaultCipherTests
{
    private static readonly MasterKey Key = new(SecretSamples.Key);
    private const string Value = "sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123456789";

    [Fact]
    public void A_sealed_value_opens_under_the_same_key_scope_and_name_and_does_not_contain_the_value()
    {
        var cipher = new VaultCipher(Key);
        var sealedValue = cipher.Seal("", "anthropic", Value);
        Assert.Equal(Value, cipher.Open("", "anthropic", sealedValue));
        Assert.Equal(-1, sealedValue.AsSpan().IndexOf(Encoding.UTF8.GetBytes(Value[..12])));
        Assert.Equal(-1, sealedValue.AsSpan().IndexOf(Encoding.UTF8.GetBytes(Value[^12..])));
    }

    [Fact]
    public void The_same_value_seals_differently_every_time()
    {
        var cipher = new VaultCipher(Key);
        Assert.NotEqual(cipher.Seal("", "a", Value), cipher.Seal("", "a", Value));
    }

    [Fact]
    public void Any_flipped_bit_is_detected()
    {
        var cipher = new VaultCipher(Key);
        var sealedValue = cipher.Seal("", "a", Value);
        for (var i = 1; i < sealedValue.Length; i++)
        {
            var tampered = (byte[])sealedValue.Clone();
            tampered[i] ^= 0x01;
            var e = Assert.Throws<SecretVaultException>(() => cipher.Open("", "a", tampered));
            Assert.Contains("altered", e.Message);
        }
    }

    [Fact]
    public void Truncated_or_unknown_versions_are_refused_clearly()
    {
        var cipher = new VaultCipher(Key);
        var sealedValue = cipher.Seal("", "a", Value);
        Assert.Contains("truncated", Assert.Throws<SecretVaultException>(() => cipher.Open("", "a", sealedValue[..20])).Message);
        sealedValue[0] = 9;
        Assert.Contains("version 9", Assert.Throws<SecretVaultException>(() => cipher.Open("", "a", sealedValue)).Message);
    }

    [Fact]
    public void A_value_moved_to_another_name_or_scope_does_not_open()
    {
        var cipher = new VaultCipher(Key);
        var sealedValue = cipher.Seal("", "a", Value);
        Assert.Throws<SecretVaultException>(() => cipher.Open("", "b", sealedValue));
        Assert.Throws<SecretVaultException>(() => cipher.Open("sandbox1", "a", sealedValue));
    }

    [Fact]
    public void Another_key_gets_a_clear_error_that_never_quotes_the_value()
    {
        var sealedValue = new VaultCipher(Key).Seal("box", "a", Value);
        var e = Assert.Throws<SecretVaultException>(() => new VaultCipher(new MasterKey(SecretSamples.OtherKey)).Open("box", "a", sealedValue));
        Assert.Contains("another master key", e.Message);
        Assert.Contains("secret a of sandbox box", e.Message);
        Assert.DoesNotContain(Value, e.ToString());
        Assert.NotEqual(Key.Fingerprint(), new MasterKey(SecretSamples.OtherKey).Fingerprint());
    }

    [Fact]
    public void Master_keys_parse_from_hex_and_base64_and_refuse_anything_else_without_quoting_it()
    {
        var bytes = RandomNumberGenerator.GetBytes(32);
        Assert.True(MasterKey.TryParse(Convert.ToHexString(bytes), out var hex, out _));
        Assert.True(MasterKey.TryParse(Convert.ToBase64String(bytes), out var b64, out _));
        Assert.True(MasterKey.TryParse(Convert.ToBase64String(bytes).Replace('+', '-').Replace('/', '_').TrimEnd('='), out var url, out _));
        Assert.Equal(bytes, hex!.ToArray());
        Assert.Equal(bytes, b64!.ToArray());
        Assert.Equal(bytes, url!.ToArray());
        foreach (var bad in new[] { "", "   ", "secret-but-short", Convert.ToBase64String(new byte[31]), Convert.ToHexString(new byte[33]), "zz" + new string('a', 62) })
        {
            Assert.False(MasterKey.TryParse(bad, out _, out var error));
            Assert.False(string.IsNullOrEmpty(error));
            if (bad.Trim().Length > 0) Assert.DoesNotContain(bad.Trim(), error);
        }
        Assert.Throws<ArgumentException>(() => new MasterKey(new byte[16]));
        Assert.Equal("master key (hidden)", Key.ToString());
    }

    [Fact]
    public void Derived_keys_differ_by_label_and_the_stand_in_key_is_not_the_vault_key()
    {
        Assert.NotEqual(Key.Derive("hive-vault-v1"), Key.StandInKey());
        Assert.NotEqual(Key.ToArray(), Key.StandInKey());
    }
}
