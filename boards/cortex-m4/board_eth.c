/* Ethernet interface of the Cortex-M4 board: an lwIP netif over a
 * DMA-descriptor MAC (one transmit and one receive buffer, polled from the
 * superloop). Compile-only skeleton: the descriptor handling stands for the
 * vendor MAC driver; what matters for the image is the lwIP side (ARP,
 * IPv4 input, pbuf pool). */
#include <stdint.h>
#include <string.h>

#include "board.h"
#include "lwip/etharp.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "netif/ethernet.h"

#define ETH_FRAME_MAX 1524u
#define ETH_DESC_OWN  0x80000000u

typedef struct {
    volatile uint32_t status;
    volatile uint32_t len;
    uint8_t *buf;
} eth_desc_t;

static uint8_t eth_tx_buf[ETH_FRAME_MAX] __attribute__((aligned(4)));
static uint8_t eth_rx_buf[ETH_FRAME_MAX] __attribute__((aligned(4)));
static eth_desc_t eth_tx_desc = {0, 0, eth_tx_buf};
static eth_desc_t eth_rx_desc = {ETH_DESC_OWN, 0, eth_rx_buf};

static err_t eth_linkoutput(struct netif *nif, struct pbuf *p)
{
    (void)nif;
    if ((eth_tx_desc.status & ETH_DESC_OWN) != 0 || p->tot_len > ETH_FRAME_MAX) {
        return ERR_MEM; /* previous frame still owned by the DMA */
    }
    if (pbuf_copy_partial(p, eth_tx_buf, p->tot_len, 0) != p->tot_len) {
        return ERR_BUF;
    }
    eth_tx_desc.len = p->tot_len;
    eth_tx_desc.status = ETH_DESC_OWN; /* hand over to the DMA */
    return ERR_OK;
}

static err_t eth_netif_init(struct netif *nif)
{
    static const uint8_t mac[6] = {0x02, 0x00, 0x5e, 0x10, 0x00, 0x01}; /* locally administered */

    nif->name[0] = 'e';
    nif->name[1] = '0';
    nif->mtu = 1500;
    nif->hwaddr_len = ETH_HWADDR_LEN;
    memcpy(nif->hwaddr, mac, sizeof mac);
    nif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
    nif->output = etharp_output;
    nif->linkoutput = eth_linkoutput;
    return ERR_OK;
}

int board_eth_init(struct netif *nif)
{
    ip4_addr_t addr, mask, gw;

    IP4_ADDR(&addr, 192, 0, 2, 10);
    IP4_ADDR(&mask, 255, 255, 255, 0);
    IP4_ADDR(&gw, 192, 0, 2, 1);
    if (netif_add(nif, &addr, &mask, &gw, NULL, eth_netif_init, ethernet_input) == NULL) {
        return -1;
    }
    netif_set_default(nif);
    netif_set_up(nif);
    netif_set_link_up(nif);
    return 0;
}

/* Moves one received frame, if any, from the DMA buffer into lwIP. */
void board_eth_poll(struct netif *nif)
{
    struct pbuf *p;
    uint16_t len;

    if ((eth_rx_desc.status & ETH_DESC_OWN) != 0) {
        return;
    }
    len = (uint16_t)(eth_rx_desc.len & 0x3FFFu);
    if (len > 0 && len <= ETH_FRAME_MAX) {
        p = pbuf_alloc(PBUF_RAW, len, PBUF_POOL);
        if (p != NULL) {
            pbuf_take(p, eth_rx_buf, len);
            if (nif->input(p, nif) != ERR_OK) {
                pbuf_free(p);
            }
        }
    }
    eth_rx_desc.status = ETH_DESC_OWN; /* give the buffer back */
}
