// A Go program that adds an active/standby VPN to an existing VPC with site-vpn's components:
// member a is the VPC's router, member b a second router with its own EIP, attached by a port.
package main

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
	"github.com/site-vpn/site-vpn/sdk/go/sitevpn"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		cfg := config.New(ctx, "")
		existing := sitevpn.SubnetAttachmentEXISTING
		port := sitevpn.SubnetAttachmentPORT
		vpn, err := sitevpn.NewSiteVpn(ctx, "vpn", &sitevpn.SiteVpnArgs{
			HaMode:             sitevpn.HaMode_ACTIVE_STANDBY,
			InterconnectSubnet: "192.168.0.0/24",
			Members: []sitevpn.GatewayMemberArgsArgs{
				{Name: "a", RouterId: pulumi.String(cfg.Require("routerId")), Attach: &existing},
				{Name: "b", ExternalNetworkId: pulumi.String(cfg.Require("externalNetworkId")), Attach: &port},
			},
			LocalSubnets: []sitevpn.LocalSubnetArgsArgs{{
				Name:      "app",
				Cidr:      "192.168.1.0/24",
				SubnetId:  pulumi.String(cfg.Require("subnetId")),
				NetworkId: pulumi.String(cfg.Require("networkId")),
			}},
			Sites: []sitevpn.SiteArgsArgs{{
				Name:            "branch",
				CustomerGateway: sitevpn.CustomerGatewaySpecArgs{Addresses: []string{"22.10.10.22", "22.10.10.23"}},
				Subnets:         []string{"172.20.0.0/16"},
				Tunnels: []sitevpn.TunnelArgsArgs{
					{Customer: "169.254.80.2/30"},
					{Customer: "169.254.81.2/30"},
				},
			}},
		})
		if err != nil {
			return err
		}
		ctx.Export("gatewayIps", vpn.GatewayIps)
		ctx.Export("deviceConfigs", vpn.DeviceConfigs)
		return nil
	})
}
